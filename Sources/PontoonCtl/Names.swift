import Foundation

/// Names that become file names: what podman accepts for container and network names.
public enum Names {
    public static func validate(_ name: String, what: String) throws(CtlError) {
        let allowed = name.unicodeScalars.allSatisfy {
            ($0.value < 128) && (CharacterSet.alphanumerics.contains($0) || "_.-".unicodeScalars.contains($0))
        }
        guard !name.isEmpty, name.count <= 64, allowed, name.first!.isLetter || name.first!.isNumber else {
            throw CtlError(.usage, "\(what) name \"\(name)\" must be 1-64 characters of [a-zA-Z0-9_.-] starting with a letter or digit")
        }
    }

    /// `--hostname`: a DNS name (dot-separated labels of letters, digits, hyphens and, as container
    /// and pod names have them (a pod's is its infra's hostname), underscores; none starting or ending
    /// with a hyphen; 253 characters at most), since it becomes a word of the container's `hosts`
    /// file and netavark's `container_hostname`.
    public static func validateHostname(_ name: String) throws(CtlError) {
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        let valid = !name.isEmpty && name.utf8.count <= 253 && labels.allSatisfy { label in
            !label.isEmpty && label.utf8.count <= 63 && label.first != "-" && label.last != "-"
                && label.unicodeScalars.allSatisfy { $0.value < 128 && (CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == "_") }
        }
        guard valid else {
            throw CtlError(.usage, "--hostname \"\(name)\" is not a host name: dot-separated labels of letters, digits, hyphens and underscores, 253 characters at most")
        }
    }

    public static func randomHex(_ bytes: Int) -> String {
        (0..<bytes).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
    }
}

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

    public static func randomHex(_ bytes: Int) -> String {
        (0..<bytes).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
    }
}

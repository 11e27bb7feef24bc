import Foundation

/// The container filesystem every podman test runs: busybox-static, the applets the tests use, and
/// under `/www` a page and a CGI script for busybox `httpd -h /www`. Root's tests hand it to podman as
/// a directory (`--rootfs`); rootless tests import it as an image into the user's storage (offline:
/// no registry is reached).
extension PodmanHost {
    static let applets = ["sh", "ping", "ping6", "nc", "httpd", "wget", "sleep", "ip", "cat", "echo", "ls", "hostname", "true",
                          "nslookup", "timeout", "head"]

    /// The path under `/www` whose answer is `peer <address>`: the client address httpd accepted the
    /// connection from, so a test sees whom a published port hands to the container.
    public static let peerPath = "/cgi-bin/peer"

    /// Writes the rootfs into `directory` (made if missing).
    static func writeRootfs(_ directory: String) throws {
        let files = FileManager.default
        for sub in ["/bin", "/www/cgi-bin", "/etc", "/tmp"] {
            try files.createDirectory(atPath: directory + sub, withIntermediateDirectories: true)
        }
        try files.copyItem(atPath: busybox, toPath: directory + "/bin/busybox")
        for applet in applets {
            try files.createSymbolicLink(atPath: directory + "/bin/" + applet, withDestinationPath: "busybox")
        }
        try (indexPage + "\n").write(toFile: directory + "/www/index.html", atomically: true, encoding: .utf8)
        // httpd sets REMOTE_ADDR for CGI; IPv4 peers arrive IPv4-mapped ("[::ffff:10.89.0.2]") on its
        // dual-stack socket, and tests strip that.
        let script = directory + "/www" + peerPath
        try "#!/bin/sh\necho 'Content-Type: text/plain'\necho\necho \"peer $REMOTE_ADDR\"\n"
            .write(toFile: script, atomically: true, encoding: .utf8)
        chmod(script, 0o755)
    }

    /// The address in a `peer <address>` answer, without httpd's IPv4-mapped brackets; nil for
    /// anything else (no answer, an error page).
    public static func peer(in answer: String) -> String? {
        guard let line = answer.split(separator: "\n").first(where: { $0.hasPrefix("peer ") }) else { return nil }
        var address = line.dropFirst("peer ".count).trimmingCharacters(in: .whitespaces)
        address = address.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        if address.hasPrefix("::ffff:") { address.removeFirst("::ffff:".count) }
        return address.isEmpty ? nil : address
    }
}

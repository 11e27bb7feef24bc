/// iptables has no exclusive element like an nftables map key, so a host port is claimed by
/// creating `<stateDir>/.iptables/hostports/<family>-<protocol>-<host IP or any>-<port>` with
/// O_EXCL, holding the attachment id: one file per port, whatever the number of containers, and
/// race-free between concurrent ADDs of any network. The same key nftables' maps use: a port taken
/// on one host IP is still free on another and on "any".
struct HostPortClaims {
    let directory: String

    init(stateDirectory: String) {
        directory = "\(stateDirectory)/.iptables/hostports"
    }

    struct Claim: Hashable {
        var port: FirewallAttachment.HostPort
        var offset: UInt16

        var name: String {
            let address = port.hostIP.map { "\($0)".replacingSlashes } ?? "any"
            return "\(port.family == .v4 ? "ipv4" : "ipv6")-\(port.transport.rawValue)-\(address)-\(port.hostPort + offset)"
        }
    }

    static func claims(_ attachment: FirewallAttachment) -> [Claim] {
        attachment.hostPorts.flatMap { port in (0..<port.count).map { Claim(port: port, offset: $0) } }
    }

    /// Claim every host port of the attachment, or none: a port already held is refused with what
    /// nftables says for it (also when this attachment holds it: an ADD repeated without a DEL is
    /// refused by both drivers), so on success every claim is this call's own.
    func claim(_ attachment: FirewallAttachment) throws {
        try FileSystem.makeDirectories(directory, mode: 0o700)
        let owner = Array(attachment.id.description.utf8)
        var made: [String] = []
        do {
            for claim in Self.claims(attachment) {
                let path = "\(directory)/\(claim.name)"
                if try FileSystem.createExclusive(path, contents: owner, mode: 0o600) {
                    made.append(path)
                } else {
                    throw PontoonError(.portTaken, "host port \(claim.port.hostDescription) is already mapped to another container",
                                       details: "choose another host port; nothing was changed")
                }
            }
        } catch {
            for path in made { _ = try? FileSystem.remove(path) }
            throw error
        }
    }

    /// Claims for reload: whatever is missing is written again (nothing else can hold them, the
    /// records say whose they are).
    func reclaim(_ attachment: FirewallAttachment) throws {
        try FileSystem.makeDirectories(directory, mode: 0o700)
        let owner = Array(attachment.id.description.utf8)
        for claim in Self.claims(attachment) {
            _ = try FileSystem.createExclusive("\(directory)/\(claim.name)", contents: owner, mode: 0o600)
        }
    }

    /// Release the attachment's claims: only files that name it (a port it never got is another's).
    func release(_ attachment: FirewallAttachment) throws {
        let owner = Array(attachment.id.description.utf8)
        for claim in Self.claims(attachment) {
            let path = "\(directory)/\(claim.name)"
            if try FileSystem.readFile(path) == owner { _ = try FileSystem.remove(path) }
        }
    }
}

private extension String {
    /// IPv6 addresses have no slashes, but a file name must never gain a path component.
    var replacingSlashes: String { String(map { $0 == "/" ? "_" : $0 }) }
}

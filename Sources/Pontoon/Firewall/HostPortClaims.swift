#if canImport(Glibc)
import Glibc
#endif

/// Which attachment holds a host port, for both firewall drivers: a file
/// `<stateDir>/.hostports/<family>-<protocol>-<port>/<host IP or "any">` created with O_EXCL,
/// holding the attachment id. (`.hostports` cannot be a network's name, which starts with a letter
/// or digit.) One directory per host port, so a claim looks at the claims of that port only,
/// whatever the number of containers, and is race-free between concurrent ADDs of any network.
///
/// A port is taken on an address when the same address holds it, and also across the two kinds:
/// "any" (every address of the family) conflicts with every single host IP on the same port and
/// protocol, and a host IP with "any". The cross check is made after the claimant's own file
/// exists: of two concurrent claims of different kinds, at least one sees the other and withdraws
/// (both may), so never both are granted.
struct HostPortClaims {
    let directory: String

    init(stateDirectory: String) {
        directory = "\(stateDirectory)/.hostports"
    }

    struct Claim: Hashable {
        var port: FirewallAttachment.HostPort
        var offset: UInt16

        var portDirectory: String {
            "\(port.family == .v4 ? "ipv4" : "ipv6")-\(port.transport.rawValue)-\(port.hostPort + offset)"
        }
        /// IPv6 addresses have no slashes, but a file name must never gain a path component.
        var address: String { port.hostIP.map { String("\($0)".map { $0 == "/" ? "_" : $0 }) } ?? "any" }
    }

    static func claims(_ attachment: FirewallAttachment) -> [Claim] {
        attachment.hostPorts.flatMap { port in (0..<port.count).map { Claim(port: port, offset: $0) } }
    }

    /// Claim every host port of the attachment, or none: a port already held (also by this
    /// attachment: an ADD repeated without a DEL is refused) is refused with code 106, naming it.
    func claim(_ attachment: FirewallAttachment) throws {
        let owner = Array(attachment.id.description.utf8)
        var made: [String] = []
        do {
            for claim in Self.claims(attachment) {
                let path = try create(claim, owner: owner)
                guard let path else { throw taken(claim) }
                made.append(path)
                if try conflictsAcrossKinds(claim) { throw taken(claim) }
            }
        } catch {
            for path in made { release(path) }
            throw error
        }
    }

    /// Claims for reload: whatever is missing is written again (the records say whose they are).
    func reclaim(_ attachment: FirewallAttachment) throws {
        let owner = Array(attachment.id.description.utf8)
        for claim in Self.claims(attachment) { _ = try create(claim, owner: owner) }
    }

    /// Release the attachment's claims: only files that name it (a port it never got is another's).
    func release(_ attachment: FirewallAttachment) throws {
        let owner = Array(attachment.id.description.utf8)
        for claim in Self.claims(attachment) {
            let path = "\(directory)/\(claim.portDirectory)/\(claim.address)"
            if try FileSystem.readFile(path) == owner { release(path) }
        }
    }

    /// The claim file, made exclusively; nil when it exists. The port's directory may be removed
    /// by a concurrent release between making it and creating the file: made again then.
    private func create(_ claim: Claim, owner: [UInt8]) throws -> String? {
        let portDirectory = "\(directory)/\(claim.portDirectory)"
        let path = "\(portDirectory)/\(claim.address)"
        var attempt = 0
        while true {
            try FileSystem.makeDirectories(portDirectory, mode: 0o700)
            do {
                return try FileSystem.createExclusive(path, contents: owner, mode: 0o600) ? path : nil
            } catch where attempt < 5 && (try? FileSystem.isDirectory(portDirectory)) == nil {
                attempt += 1
            }
        }
    }

    /// Whether the other kind holds the claim's port: "any" for a host IP; any host IP for "any".
    private func conflictsAcrossKinds(_ claim: Claim) throws -> Bool {
        let portDirectory = "\(directory)/\(claim.portDirectory)"
        if claim.port.hostIP != nil {
            return try FileSystem.readFile("\(portDirectory)/any") != nil
        }
        let names = try FileSystem.listDirectory(portDirectory) ?? []
        return names.contains { $0 != "any" && FileSystem.temporaryWriter($0) == nil }
    }

    /// Remove a claim file, and its port's directory when that was the last claim.
    private func release(_ path: String) {
        _ = try? FileSystem.remove(path)
        if let slash = path.lastIndex(of: "/") {
            _ = rmdir(String(path[..<slash]))  // ENOTEMPTY: another address still holds the port
        }
    }

    private func taken(_ claim: Claim) -> PontoonError {
        PontoonError(.portTaken, "host port \(claim.port.hostDescription) is already mapped to another container",
                     details: "choose another host port; nothing was changed")
    }
}

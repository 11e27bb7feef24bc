import Foundation
import Testing
import TestSupport

/// Networks named by ID, and the container files that follow connect and disconnect (issue 17).
@Suite("pontoonctl network IDs and files that follow the network", needsRoot, .serialized)
struct PontoonCtlNetworkIDTests {
    func id(_ ctl: Ctl, _ network: String) throws -> String {
        let file = try #require(try ctl.ok(["network", "inspect", network]).json as? [String: Any])
        return try #require((file["network"] as? [String: Any])?["id"] as? String)
    }

    func entry(_ ctl: Ctl, _ container: String, _ network: String) throws -> [String: Any] {
        try #require((try ctl.inspect(container)["Networks"] as? [String: Any])?[network] as? [String: Any])
    }

    func read(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

    func inode(_ path: String) -> UInt64 {
        var info = stat()
        return stat(path, &info) == 0 ? UInt64(info.st_ino) : 0
    }

    @Test("create and connect by an ID prefix, disconnect by the full ID: traffic flows only while connected; records keep names; unknown and ambiguous prefixes refused")
    func byIDPrefix() throws {
        let ctl = try Ctl("ctlid")
        defer { ctl.cleanup() }
        try ctl.ok(["network", "create", "front", "--internal"])
        try ctl.ok(["network", "create", "back", "--internal"])
        let frontID = try id(ctl, "front"), backID = try id(ctl, "back")
        for network in [frontID, backID] {
            #expect(network.count == 64 && network.allSatisfy(\.isHexDigit), "\(network)")
        }
        let listed = try ctl.ok(["network", "ls"]).stdoutText
        #expect(listed.contains("NETWORK ID") && listed.contains(String(backID.prefix(12))) && listed.contains(String(frontID.prefix(12))))

        // The shortest prefix of back's ID that front's does not share (at least 3 digits).
        let shared = zip(frontID, backID).prefix { $0 == $1 }.count
        let prefix = String(backID.prefix(max(shared + 1, 3)))
        try ctl.ok(["run", "a", "--network", String(frontID.prefix(12))])
        try ctl.ok(["run", "b", "--network", prefix])
        let bIP = try #require(try entry(ctl, "b", "back")["IPAddress"] as? String)
        #expect(try ctl.run(["exec", "a", "--", "ping", "-c", "1", "-W", "1", bIP]).status != 0, "reached back before connect")

        let status = try #require(try ctl.ok(["connect", "a", prefix, "--format", "json"]).json as? [String: Any])
        #expect((status["interfaces"] as? [String: Any])?.keys.sorted() == ["eth1"], "connect's answer: \(status)")
        #expect(try ctl.ok(["exec", "a", "--", "ping", "-c", "3", "-i", "0.2", "-W", "2", bIP]).status == 0)
        let networks = (try ctl.inspect("a")["Networks"] as? [String: Any])?.keys.sorted()
        #expect(networks == ["back", "front"], "records keep the names")
        let again = try ctl.run(["connect", "a", backID])
        #expect(again.status != 0 && again.stderrText.contains("already connected to network back"), "\(again.stderrText)")

        // A hex prefix no ID has: podman's words, exit 125, nothing changed.
        let unused = try #require("0123456789abcdef".first { $0 != frontID.first && $0 != backID.first })
        let unknown = try ctl.run(["connect", "b", String(unused)])
        #expect(unknown.status == 125 && unknown.stderrText.contains("unable to find network with name or ID \(unused): network not found"),
                "\(unknown.stderrText)")

        try ctl.ok(["disconnect", "a", backID])
        #expect(try ctl.run(["exec", "a", "--", "ping", "-c", "1", "-W", "1", bIP]).status != 0, "still reaches back after disconnect")
        #expect((try ctl.inspect("a")["Networks"] as? [String: Any])?.keys.sorted() == ["front"])

        // Two IDs sharing a prefix (set by hand in the files): the prefix is refused, naming both.
        for (name, newID) in [("front", "abcd" + frontID.dropFirst(4)), ("back", "abce" + backID.dropFirst(4))] {
            let path = ctl.config + "/\(name).json"
            let text = try read(path).replacingOccurrences(of: name == "front" ? frontID : backID, with: newID)
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        }
        let ambiguous = try ctl.run(["network", "inspect", "abc"])
        #expect(ambiguous.status == 125 && ambiguous.stderrText.contains("more than one result for network ID abc: back, front"),
                "\(ambiguous.stderrText)")

        try ctl.ok(["rm", "--force", "a", "b"])
        #expect(ctl.leftovers() == [])
        try ctl.ok(["network", "rm", "abcd"])
        try ctl.ok(["network", "rm", "back"])
        let remaining = try #require(try ctl.ok(["network", "ls", "--format", "json"]).json as? [Any])
        #expect(remaining.isEmpty)
    }

    @Test("connect and disconnect edit hosts and resolv.conf in place: the network's entries and servers come and go, a line the user added stays")
    func filesFollowTheNetwork() throws {
        let ctl = try Ctl("ctlfiles")
        defer { ctl.cleanup() }
        try ctl.ok(["network", "create", "front", "--internal"])
        try ctl.ok(["network", "create", "back", "--internal", "--ipv6"])
        try ctl.ok(["run", "a", "--network", "front"])
        let hostsPath = ctl.state + "/containers/a/hosts", resolvPath = ctl.state + "/containers/a/resolv.conf"

        // The user adds a line, as one would to /etc/hosts inside a container.
        let userLine = "192.0.2.99\tbuild.example # added by hand\n"
        let handle = try #require(FileHandle(forWritingAtPath: hostsPath))
        handle.seekToEndOfFile()
        handle.write(Data(userLine.utf8))
        handle.closeFile()
        let hostsBefore = try read(hostsPath), resolvBefore = try read(resolvPath)
        let hostsInode = inode(hostsPath), resolvInode = inode(resolvPath)
        #expect(hostsBefore.hasSuffix(userLine) && resolvBefore.contains("nameserver "), "\(hostsBefore)\n\(resolvBefore)")

        try ctl.ok(["connect", "a", "back", "--alias", "api"])
        let back = try entry(ctl, "a", "back")
        let v4 = try #require(back["IPAddress"] as? String), v6 = try #require(back["GlobalIPv6Address"] as? String)
        let hosts = try read(hostsPath)
        #expect(hosts == hostsBefore + "\(v4)\ta api\n\(v6)\ta api\n", "\(hosts)")
        // What a command in the container sees is that file.
        #expect(try ctl.ok(["exec", "a", "--", "cat", "/etc/hosts"]).stdoutText == hosts)
        #expect(try ctl.ok(["exec", "a", "--", "getent", "ahostsv4", "build.example"]).stdoutText.contains("192.0.2.99"))

        // back's DNS servers, IPv6 ones included now that a has IPv6, ahead of front's.
        let record = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: ctl.state + "/containers/a/container.json"))) as? [String: Any])
        let status = try #require((record["status"] as? [String: Any])?["back"] as? [String: Any])
        let servers = try #require(status["dns_server_ips"] as? [String])
        #expect(servers.contains { $0.contains(":") } && servers.contains { !$0.contains(":") }, "\(servers)")
        let resolv = try read(resolvPath)
        let listed = resolv.split(separator: "\n").filter { $0.hasPrefix("nameserver ") }.map { String($0.dropFirst("nameserver ".count)) }
        let before = resolvBefore.split(separator: "\n").filter { $0.hasPrefix("nameserver ") }.map { String($0.dropFirst("nameserver ".count)) }
        #expect(listed == servers + before, "\(resolv)")
        #expect(inode(hostsPath) == hostsInode && inode(resolvPath) == resolvInode, "rewritten, not edited in place")

        // reload keeps the addresses, so it leaves both files (and the user's line) alone.
        try ctl.ok(["reload", "a"])
        #expect(try read(hostsPath) == hosts && read(resolvPath) == resolv)

        try ctl.ok(["disconnect", "a", "back"])
        #expect(try read(hostsPath) == hostsBefore, "the user's line stays, the network's entries go")
        #expect(try read(resolvPath) == resolvBefore)

        try ctl.ok(["rm", "--force", "a"])
        #expect(ctl.leftovers() == [])
    }
}

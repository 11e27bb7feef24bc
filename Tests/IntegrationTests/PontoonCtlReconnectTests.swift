import Foundation
import Testing
import TestSupport

/// A reconnected container gets its address back on a new MAC; its neighbours must learn the new
/// MAC at once (the interface announces itself once its bridge port is up), not after their
/// REACHABLE entry for the old one runs out (~30 s).
@Suite("pontoonctl reconnect", needsRoot, .serialized)
struct PontoonCtlReconnectTests {
    func backAddresses(_ ctl: Ctl, _ name: String) throws -> (v4: String, v6: String, mac: String) {
        let settings = try ctl.inspect(name)
        let back = try #require((settings["Networks"] as? [String: Any])?["back"] as? [String: Any])
        return (try #require(back["IPAddress"] as? String), try #require(back["GlobalIPv6Address"] as? String),
                try #require(back["MacAddress"] as? String))
    }

    @Test("after disconnect and connect, the same addresses answer on the new MAC within a second, IPv4 and IPv6")
    func reusedAddressIsAnnounced() throws {
        let ctl = try Ctl("ctlre")
        defer { ctl.cleanup() }
        try ctl.ok(["network", "create", "front", "--internal"])
        try ctl.ok(["network", "create", "back", "--internal", "--ipv6"])
        try ctl.ok(["run", "a", "--network", "front"])
        try ctl.ok(["run", "c", "--network", "back"])
        try ctl.ok(["connect", "a", "back"])
        var previous = try backAddresses(ctl, "a")
        for round in 0..<3 {
            // c talks to a: its neighbour entries for a's addresses are REACHABLE with a's MAC.
            for address in [previous.v4, previous.v6] {
                let ping = try ctl.run(["exec", "c", "--", "ping", "-c", "1", "-W", "1", address])
                #expect(ping.status == 0, "round \(round): ping \(address) before reconnect: \(ping.stdoutText)")
            }
            try ctl.ok(["disconnect", "a", "back"])
            try ctl.ok(["connect", "a", "back"])
            let now = try backAddresses(ctl, "a")
            // The point of the test: the same addresses on another MAC (else it proves nothing).
            try #require(now.v4 == previous.v4 && now.v6 == previous.v6 && now.mac != previous.mac,
                         "round \(round): \(previous) -> \(now)")
            let neighbours = try ctl.inside("c", "ip neigh show dev eth0").stdoutText
            for address in [now.v4, now.v6] {
                let ping = try ctl.run(["exec", "c", "--", "ping", "-c", "1", "-W", "1", address])
                #expect(ping.status == 0, "round \(round): ping \(address) after reconnect (a's MAC \(now.mac)); c's neighbours: \(neighbours)")
            }
            previous = now
        }
        try ctl.ok(["rm", "--force", "a", "c"])
        #expect(ctl.leftovers() == [])
        try ctl.ok(["network", "rm", "front", "back"])
    }
}

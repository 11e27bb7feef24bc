import Foundation
import Testing
import TestSupport

@Suite("pontoonctl: macvlan and ipvlan networks", needsRoot)
struct PontoonCtlLinkedTests {
    @Test("network create --driver macvlan --opt parent=eth0: two containers on the LAN reach the neighbour and each other; rm leaves nothing")
    func macvlan() throws {
        let ctl = try Ctl("ctlmacvlan")
        defer { ctl.cleanup() }
        let lan = try LinkedLAN(ctl.host)
        let hostLinks = try lan.hostLinks()
        try ctl.ok(["network", "create", "lan", "--driver", "macvlan", "--opt", "parent=eth0", "--opt", "mode=bridge",
                    "--subnet", "10.77.0.0/24", "--gateway", "10.77.0.1"])
        try ctl.ok(["run", "a", "--network", "lan", "--ip", "10.77.0.20"])
        try ctl.ok(["run", "b", "--network", "lan"])
        let shown = try ctl.inside("a", "ip -j -d link show eth0").stdout
        let info = ((try? JSONSerialization.jsonObject(with: shown)) as? [[String: Any]])?.first?["linkinfo"] as? [String: Any]
        #expect(info?["info_kind"] as? String == "macvlan")
        let address = try ctl.inside("a", "ip -4 -br addr show eth0").stdoutText
        #expect(address.contains("10.77.0.20/24"), "--ip honoured: \(address)")
        #expect(try ctl.ok(["exec", "a", "--", "ping", "-c", "2", "-i", "0.2", "-W", "2", LinkedLAN.gateway]).status == 0)
        #expect(try ctl.ok(["exec", "b", "--", "ping", "-c", "2", "-i", "0.2", "-W", "2", "10.77.0.20"]).status == 0)
        #expect(try lan.hostLinks() == hostLinks, "nothing on the host")
        try ctl.ok(["rm", "--force", "a"])
        try ctl.ok(["rm", "--force", "b"])
        try ctl.ok(["network", "rm", "lan"])
        #expect(try lan.hostLinks() == hostLinks)
    }

    @Test("bad --driver, --opt and missing --subnet are refused by name, nothing saved",
          arguments: [
              (["--driver", "overlay", "--subnet", "10.77.0.0/24"], "--driver \"overlay\""),
              (["--driver", "macvlan", "--opt", "parent=eth0"], "needs --subnet"),
              (["--driver", "macvlan", "--opt", "mode=sideways", "--subnet", "10.77.0.0/24"], "--opt mode \"sideways\""),
              (["--driver", "ipvlan", "--opt", "vlan=3", "--subnet", "10.77.0.0/24"], "--opt \"vlan=3\""),
              (["--driver", "macvlan", "--backend", "cni", "--subnet", "10.77.0.0/24"], "needs --backend netavark"),
          ])
    func refused(_ arguments: [String], _ message: String) throws {
        let ctl = try Ctl("ctllanbad")
        defer { ctl.cleanup() }
        let result = try ctl.run(["network", "create", "lan"] + arguments)
        #expect(result.status != 0)
        #expect(result.stderrText.contains(message), "\(result.stderrText)")
        let networks = try ctl.ok(["network", "ls", "--format", "json"]).json as? [[String: Any]] ?? []
        #expect(networks.isEmpty)
    }
}

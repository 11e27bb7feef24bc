import Foundation
import Testing
import TestSupport

@Suite("Concurrent ADDs, delegated IPAM, logging", needsRoot)
struct ConcurrencyAndDelegationTests {
    @Test("eight ADDs racing on a network whose bridge does not exist yet all succeed with distinct addresses", .privateHost("race"))
    func concurrentCreators() throws {
        let host = try PrivateHost.scoped()
        let containers = try (0..<8).map { try host.container("c\($0)") }
        let config = networkConfig(host)
        let stdin = try JSONSerialization.data(withJSONObject: config, options: [.withoutEscapingSlashes])
        let started = try containers.map { container in
            try TestRun.start(PrivateHost.ip, ["netns", "exec", host.name, Binaries.pontoon],
                              environment: ["CNI_COMMAND": "ADD", "CNI_CONTAINERID": container, "CNI_NETNS": PrivateHost.path(container),
                                            "CNI_IFNAME": "eth0", "CNI_PATH": "/usr/lib/cni"], stdin: stdin)
        }
        let results = started.map { $0.finish() }
        for result in results { #expect(result.status == 0, "\(result.stdoutText)") }
        let addresses = results.flatMap(\.addresses)
        #expect(Set(addresses).count == 8)
        #expect(try host.linkNames(host.name).filter { $0.hasPrefix("veth") }.count == 8)
        #expect(try host.pings(from: containers[0], bare(results[7].addresses[0])))
    }

    @Test("an ipam type other than host-local is run from CNI_PATH with the same config (reference 'static')", .privateHost("static"))
    func delegatedIPAM() throws {
        let (host, container) = try PrivateHost.scopedWithContainer()
        var config = networkConfig(host)
        config["ipam"] = ["type": "static", "addresses": [["address": "10.99.0.42/24", "gateway": "10.99.0.1"]],
                          "routes": [["dst": "0.0.0.0/0"]]]
        let add = try host.attach(container, config: config)
        #expect(add.addresses == ["10.99.0.42/24"])
        #expect(try host.pings(from: container, "10.99.0.1"))
        #expect(try host.cni("DEL", container: container, config: config).status == 0)
        #expect(try host.linkNames(container) == ["lo"])
    }

    @Test("an ipam plugin missing from CNI_PATH is a config error (7) and nothing is made", .privateHost("nodelegate"))
    func missingDelegate() throws {
        let (host, container) = try PrivateHost.scopedWithContainer()
        var config = networkConfig(host)
        config["ipam"] = ["type": "no-such-ipam"]
        let add = try host.cni("ADD", container: container, config: config)
        #expect(add.errorCode == 7, "\(add.stdoutText)")
        #expect(add.errorMessage == "IPAM plugin \"no-such-ipam\" not found in CNI_PATH")
        #expect(try host.linkNames(host.name) == ["lo"])
    }

    @Test("logFile gets diagnostics; stdout carries only the Result and stderr stays empty", .privateHost("log"))
    func logging() throws {
        let (host, container) = try PrivateHost.scopedWithContainer()
        let logFile = host.scratch.file("pontoon.log")
        let config = networkConfig(host, ["logFile": logFile, "logLevel": "debug"])
        let add = try host.attach(container, config: config)
        #expect(add.stderr.isEmpty)
        #expect(add.json != nil, "stdout is exactly one JSON document")
        let failed = try host.cni("ADD", container: container, config: config)
        #expect(failed.errorCode == 103)
        let log = try String(contentsOfFile: logFile, encoding: .utf8)
        #expect(log.contains("CNI ADD net=itnet \(container)/eth0 ok"), "log: \(log)")
        #expect(log.contains("failed: [103] interface eth0 already exists"), "log: \(log)")
    }
}

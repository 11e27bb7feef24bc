import Foundation
import Testing
import TestSupport

/// The lease store shared by separate processes, the way runtimes really use it: pontoon (invoked
/// as `host-local`) and the reference plugin racing, then releasing each other's leases.
@Suite("host-local across processes")
struct CrossProcessTests {
    @Test("64 concurrent processes, ours and the reference alternating, lease 64 distinct addresses; each releases the other's",
          .enabled(if: ReferenceHostLocal.isInstalled))
    func sixtyFourProcesses() throws {
        try withScratch { scratch throws in
            let ours = try Binaries.hostLocalLink(in: scratch.path)
            let config = ReferenceHostLocal.config(#""ranges":[[{"subnet":"10.70.0.0/24"}]]"#, dataDir: scratch.dataDir, name: "race")
            func binary(_ i: Int) -> String { i % 2 == 0 ? ours : ReferenceHostLocal.path }
            func env(_ command: String, _ i: Int) -> [String: String] {
                ReferenceHostLocal.environment(command, containerID: "race\(i)", ifName: "eth0")
            }

            // Start all 64 before collecting any, so they really contend for the lock.
            let started = try (0..<64).map { try TestRun.start(binary($0), environment: env("ADD", $0), stdin: Data(config.utf8)) }
            let results = started.map { $0.finish() }
            var leased: [Int: String] = [:]
            for (i, result) in results.enumerated() {
                #expect(result.status == 0, "process \(i) (\(binary(i))): \(result.stdoutText)")
                let ips = (result.json as? [String: Any])?["ips"] as? [[String: Any]]
                if let address = ips?.first?["address"] as? String {
                    leased[i] = String(address.split(separator: "/")[0])
                }
            }
            #expect(leased.count == 64)
            #expect(Set(leased.values).count == 64, "an address was handed out twice")

            // Consistency: exactly one file per lease, naming its holder, and nothing else.
            let store = scratch.store("race")
            #expect(Disk.leaseNames(store) == Set(leased.values))
            for (i, address) in leased {
                #expect(Disk.text(store + "/" + address) == "race\(i)\r\neth0")
            }
            let last = Disk.text(store + "/last_reserved_ip.0") ?? ""
            #expect(Set(leased.values).contains(last), "last_reserved_ip.0 holds \(last)")

            // Each plugin releases the leases the other one made.
            let releases = try (0..<64).map { try TestRun.start(binary($0 + 1), environment: env("DEL", $0), stdin: Data(config.utf8)) }
            for (i, result) in releases.map({ $0.finish() }).enumerated() {
                #expect(result.status == 0, "release \(i): \(result.stdoutText)")
            }
            #expect(Disk.leaseNames(store).isEmpty)
            #expect(Disk.exists(store + "/lock"))
        }
    }
}

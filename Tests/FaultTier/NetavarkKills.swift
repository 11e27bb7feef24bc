import Foundation

/// kill -9 at a random moment of a netavark setup or teardown (DNS on in half the trials, so
/// aardvark-dns is started, reloaded and stopped under the kill), then a teardown as podman would
/// retry it: no link, record, lease, aardvark-dns entry or process may be left, and a fresh setup
/// and teardown of the same container must work.
struct NetavarkKills {
    let world: PrivateWorld
    let report: Report
    let plugin: String
    let worker: Int
    let workers: Int
    let seed: UInt64

    func run(trials: [Int]) {
        try? FileManager.default.createDirectory(atPath: NetavarkTestNetwork.configDirectory, withIntermediateDirectories: true)
        world.addNamespace("k0")
        let networks = [false, true].map { dns in
            NetavarkTestNetwork(name: dns ? "nvkdns" : "nvk", bridge: dns ? "nvkd\(worker)" : "nvkb\(worker)",
                                subnet: "10.\(dns ? 170 : 160).\(worker).0/24", gateway: "10.\(dns ? 170 : 160).\(worker).1", dns: dns)
        }
        // Timing of healthy setups and teardowns (which also make the bridges), so the kill moments cover the whole operation.
        var spans: [String: Double] = [:]
        for network in networks {
            var setups: [Double] = [], teardowns: [Double] = []
            for round in 0..<5 {
                let setup = world.spawner.run(network.call("setup", id: "warm\(round)", container: "k0").invocation(plugin: plugin))
                let teardown = world.spawner.run(network.call("teardown", id: "warm\(round)", container: "k0").invocation(plugin: plugin))
                guard setup.exitedZero, teardown.exitedZero else {
                    report.fail("netavark kill setup: warm-up setup/teardown failed: \(setup.summary) / \(teardown.summary)")
                    return
                }
                setups.append(setup.seconds)
                teardowns.append(teardown.seconds)
            }
            spans["setup \(network.dns)"] = setups.sorted()[2] * 1.2
            spans["teardown \(network.dns)"] = teardowns.sorted()[2] * 1.2
            report.note("worker \(worker): DNS \(network.dns ? "on" : "off"): median setup \(Int(setups.sorted()[2] * 1000)) ms, teardown \(Int(teardowns.sorted()[2] * 1000)) ms; kill moments drawn from 0…120% of those")
        }
        world.snapshotBase()
        let expected: [String: Set<String>] = ["k0": ["lo"]]

        for trial in trials {
            var random = SeededRandom(seed: seed ^ (UInt64(trial) &* 0x9E37_79B9_7F4A_7C15))
            let id = String((0..<4).map { _ in String(format: "%016llx", random.next()) }.joined())
            let duringTeardown = trial % 2 == 1
            let network = networks[(trial / 2) % 2]
            let verb = duringTeardown ? "teardown" : "setup"
            let delay = Double.random(in: 0...spans["\(verb) \(network.dns)"]!, using: &random)
            let setup = network.call("setup", id: id, container: "k0"), teardown = network.call("teardown", id: id, container: "k0")
            var problems: [String] = []
            let label = "\(verb) trial #\(trial) (DNS \(network.dns ? "on" : "off"), kill after \(String(format: "%.2f", delay * 1000)) ms, id \(id.prefix(12))…)"

            if duringTeardown, let problem = world.mustSucceed(setup, plugin: plugin, "the setup before the killed teardown") { problems.append(problem) }
            let victim = world.spawner.run((duringTeardown ? teardown : setup).invocation(plugin: plugin), killAfter: delay)
            report.count("\(verb) trials")
            if network.dns { report.count("\(verb) trials with DNS") }
            if victim.signal == 9 {
                report.count(duringTeardown ? "teardowns killed mid-way" : "setups killed mid-way")
            } else if case .failure(let problem) = judgeNetavark(victim, verb: verb) {
                problems.append("the operation finished before the kill but its answer was bad: \(problem)")
            }
            if let problem = world.mustSucceed(teardown, plugin: plugin, "teardown after the kill") { problems.append(problem) }
            let left = world.findings(allowed: network.allowed, newBridges: false, containers: expected) + world.aardvarkLeftovers()
            if !left.isEmpty {
                report.count("trials with leftovers")
                problems.append("after the teardown: " + left.joined(separator: "; "))
            }
            if problems.isEmpty {
                if let problem = world.mustSucceed(setup, plugin: plugin, "fresh setup of the same container") { problems.append(problem) }
                if let problem = world.mustSucceed(teardown, plugin: plugin, "teardown of the fresh setup") { problems.append(problem) }
                let after = world.findings(allowed: network.allowed, newBridges: false, containers: expected) + world.aardvarkLeftovers()
                if !after.isEmpty { problems.append("after the fresh setup and its teardown: " + after.joined(separator: "; ")) }
                if problems.isEmpty { report.count("fresh setups of the same container that worked") }
            }
            if !problems.isEmpty {
                report.fail("netavark kill \(label) (seed \(String(seed, radix: 16)), worker \(worker) of \(workers)): \(problems.joined(separator: "; "))")
                _ = world.spawner.run(teardown.invocation(plugin: plugin))
                world.killAardvark()
                world.reset(containers: ["k0"])
            }
        }
    }
}

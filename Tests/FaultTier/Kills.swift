import Foundation

/// kill -9 at a random moment of ADD or DEL, then DEL and GC as a runtime would: nothing may be
/// left (links, leases, records, temporary files), a kept attachment must survive GC untouched,
/// and a fresh ADD of the same id must work.
struct Kills {
    let world: PrivateWorld
    let report: Report
    let plugin: String
    let worker: Int
    let workers: Int
    let seed: UInt64

    func run(trials: [Int]) {
        let network = TestNetwork(name: "kl\(worker)", bridge: "klbr\(worker)", subnets: ["10.\(150 + worker).0.0/16"], plugin: plugin)
        world.addNamespace("k0")
        world.addNamespace("keep")
        if let problem = world.mustSucceed(network.call("ADD", id: "keep", container: "keep"), plugin: plugin, "ADD of the kept attachment") {
            report.fail("kill setup: \(problem)")
            return
        }
        // Timing of one healthy ADD and DEL, so the kill moments cover the whole operation.
        var addTimes: [Double] = [], delTimes: [Double] = []
        for round in 0..<5 {
            let add = world.spawner.run(network.call("ADD", id: "warm\(round)", container: "k0").invocation(plugin: plugin))
            let del = world.spawner.run(network.call("DEL", id: "warm\(round)", container: "k0").invocation(plugin: plugin))
            guard add.exitedZero, del.exitedZero else {
                report.fail("kill setup: warm-up ADD/DEL failed: \(add.summary) / \(del.summary)")
                return
            }
            addTimes.append(add.seconds)
            delTimes.append(del.seconds)
        }
        let addSpan = addTimes.sorted()[2] * 1.2, delSpan = delTimes.sorted()[2] * 1.2
        report.note("worker \(worker): median ADD \(Int(addSpan / 1.2 * 1000)) ms, DEL \(Int(delSpan / 1.2 * 1000)) ms; kill moments drawn from 0…120% of those")
        world.snapshotBase()
        let expected: [String: Set<String>] = ["k0": ["lo"], "keep": ["lo", "eth0"]]

        for trial in trials {
            var random = SeededRandom(seed: seed ^ (UInt64(trial) &* 0x9E37_79B9_7F4A_7C15))
            let id = String((0..<4).map { _ in String(format: "%016llx", random.next()) }.joined())
            let duringDelete = trial % 2 == 1
            let delay = Double.random(in: 0...(duringDelete ? delSpan : addSpan), using: &random)
            var problems: [String] = []
            let add = network.call("ADD", id: id, container: "k0"), del = network.call("DEL", id: id, container: "k0")
            let label = "\(duringDelete ? "DEL" : "ADD") trial #\(trial) (kill after \(String(format: "%.2f", delay * 1000)) ms, id \(id.prefix(12))…)"

            if duringDelete, let problem = world.mustSucceed(add, plugin: plugin, "the ADD before the killed DEL") { problems.append(problem) }
            let victim = world.spawner.run((duringDelete ? del : add).invocation(plugin: plugin), killAfter: delay)
            report.count(duringDelete ? "DEL trials" : "ADD trials")
            if victim.signal == 9 {
                report.count(duringDelete ? "DELs killed mid-way" : "ADDs killed mid-way")
            } else if case .failure(let problem) = judge(victim, command: duringDelete ? "DEL" : "ADD") {
                problems.append("the operation finished before the kill but its answer was bad: \(problem)")
            }
            if let problem = world.mustSucceed(del, plugin: plugin, "DEL after the kill") { problems.append(problem) }
            if let problem = world.mustSucceed(network.garbageCollect(keeping: [("keep", "eth0")]), plugin: plugin, "GC after the kill") { problems.append(problem) }
            let left = world.findings(allowed: network.allowed, newBridges: false, containers: expected)
            if !left.isEmpty {
                report.count("trials with leftovers")
                problems.append("after DEL and GC: " + left.joined(separator: "; "))
            }
            if problems.isEmpty {
                if let problem = world.mustSucceed(add, plugin: plugin, "fresh ADD of the same id") { problems.append(problem) }
                if let problem = world.mustSucceed(del, plugin: plugin, "DEL of the fresh ADD") { problems.append(problem) }
                let after = world.findings(allowed: network.allowed, newBridges: false, containers: expected)
                if !after.isEmpty { problems.append("after the fresh ADD and its DEL: " + after.joined(separator: "; ")) }
                if problems.isEmpty { report.count("fresh ADDs of the same id that worked") }
            }
            if !problems.isEmpty {
                report.fail("kill \(label) (seed \(String(seed, radix: 16)), worker \(worker) of \(workers)): \(problems.joined(separator: "; "))")
                _ = world.spawner.run(del.invocation(plugin: plugin))
                world.reset(containers: ["k0"])
            }
        }
    }
}

import Foundation

/// kill -9 at a random moment of an attach or its undo (ADD or DEL, setup or teardown), then the
/// undo a runtime would retry (and GC, where the door has it): nothing may be left (links, leases,
/// records, temporary files, helper processes), and a fresh attach of the same container must work.
struct Kills<D: Door> {
    let part: Part
    let door: D
    let seed: UInt64

    func run(trials: [Int]) {
        let world = part.world, report = part.report, plugin = part.plugin
        guard let targets = door.killTargets(part) else { return }
        // Timing of healthy operations (which also make the bridges), so the kill moments cover the whole operation.
        var spans: [(attach: Double, detach: Double)] = []
        for target in targets {
            var attaches: [Double] = [], detaches: [Double] = []
            for round in 0..<5 {
                let attach = world.spawner.run(target.attach("warm\(round)").invocation(plugin: plugin))
                let detach = world.spawner.run(target.detach("warm\(round)").invocation(plugin: plugin))
                guard attach.exitedZero, detach.exitedZero else {
                    report.fail("\(door.tag)kill setup: warm-up \(door.add)/\(door.remove) failed: \(attach.summary) / \(detach.summary)")
                    return
                }
                attaches.append(attach.seconds)
                detaches.append(detach.seconds)
            }
            let attach = attaches.sorted()[2], detach = detaches.sorted()[2]
            spans.append((attach * 1.2, detach * 1.2))
            report.note("worker \(part.worker): \(target.tag.map { "\($0): " } ?? "")median \(door.add) \(Int(attach * 1000)) ms, \(door.remove) \(Int(detach * 1000)) ms; kill moments drawn from 0…120% of those")
        }
        world.snapshotBase()
        for trial in trials { one(trial, targets: targets, spans: spans) }
    }

    private func one(_ trial: Int, targets: [KillTarget<D.Call>], spans: [(attach: Double, detach: Double)]) {
        let world = part.world, report = part.report, plugin = part.plugin
        var random = SeededRandom(seed: seed ^ (UInt64(trial) &* 0x9E37_79B9_7F4A_7C15))
        let id = String((0..<4).map { _ in String(format: "%016llx", random.next()) }.joined())
        let duringDetach = trial % 2 == 1
        let which = (trial / 2) % targets.count, target = targets[which]
        let verb = duringDetach ? door.remove : door.add
        let delay = Double.random(in: 0...(duringDetach ? spans[which].detach : spans[which].attach), using: &random)
        let attach = target.attach(id), detach = target.detach(id)
        var problems: [String] = []
        let label = "\(verb) trial #\(trial) (\(target.tag.map { "\($0), " } ?? "")kill after \(String(format: "%.2f", delay * 1000)) ms, id \(id.prefix(12))…)"
        let clean = { world.findings(allowed: target.allowed, newBridges: false, containers: door.killContainers) + door.helperLeftovers(world) }

        if duringDetach, let problem = world.mustSucceed(attach, plugin: plugin, "the \(door.add) before the killed \(door.remove)") { problems.append(problem) }
        let victim = world.spawner.run((duringDetach ? detach : attach).invocation(plugin: plugin), killAfter: delay)
        report.count("\(verb) trials")
        if let extra = target.trialCount { report.count("\(verb) trials \(extra)") }
        if victim.signal == 9 {
            report.count("\(verb)s killed mid-way")
        } else if case .failure(let problem) = D.Call.judge(victim, verb: verb) {
            problems.append("the operation finished before the kill but its answer was bad: \(problem)")
        }
        if let problem = world.mustSucceed(detach, plugin: plugin, "\(door.remove) after the kill") { problems.append(problem) }
        if let collect = target.collect, let problem = world.mustSucceed(collect, plugin: plugin, "GC after the kill") { problems.append(problem) }
        let left = clean()
        if !left.isEmpty {
            report.count("trials with leftovers")
            problems.append("\(door.afterKillUndo): " + left.joined(separator: "; "))
        }
        if problems.isEmpty {
            if let problem = world.mustSucceed(attach, plugin: plugin, "fresh \(door.add) of the same \(door.subject)") { problems.append(problem) }
            if let problem = world.mustSucceed(detach, plugin: plugin, "\(door.remove) of the fresh \(door.add)") { problems.append(problem) }
            let after = clean()
            if !after.isEmpty { problems.append("after the fresh \(door.add) and its \(door.remove): " + after.joined(separator: "; ")) }
            if problems.isEmpty { report.count("fresh \(door.add)s of the same \(door.subject) that worked") }
        }
        if !problems.isEmpty {
            report.fail("\(door.tag)kill \(label) (seed \(String(seed, radix: 16)), worker \(part.worker) of \(part.workers)): \(problems.joined(separator: "; "))")
            _ = world.spawner.run(detach.invocation(plugin: plugin))
            door.killHelpers(world)
            world.reset(containers: ["k0"])
        }
    }
}

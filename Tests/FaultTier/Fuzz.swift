import Foundation

/// Fuzzes a door: every input gets one clean answer; an attach that succeeds is followed by the
/// undo a runtime would send, which must succeed too; after each input nothing may be left (links,
/// records, leases, helper processes) and nothing written outside the directories the input names.
struct Fuzz<D: Door> {
    let part: Part
    let door: D
    let seed: UInt64
    let seedLabel: String

    func run(indices: [Int], replay: Bool) {
        let containers = door.fuzzContainers
        guard let generate = door.fuzzGenerator(part, seed: seed, containers: containers) else { return }
        for container in containers { part.world.addNamespace(container) }
        part.world.snapshotBase()
        for index in indices {
            let input = generate(index)
            if replay {
                part.report.note("input #\(index)\(input.origin.map { " from \($0)" } ?? ""): mutations \(input.mutations); \(input.call.description)")
            }
            one(index, input)
        }
    }

    private func one(_ index: Int, _ input: D.Input) {
        let world = part.world, report = part.report, plugin = part.plugin
        report.count("inputs")
        if input.call.size >= 10 << 20 { report.count("10 MB inputs") }
        let verb = input.call.verb
        let outcome = world.spawner.run(input.call.invocation(plugin: plugin), limit: 5)
        var problems: [String] = []
        var attached = false
        switch D.Call.judge(outcome, verb: verb) {
        case .failure(let problem):
            problems.append(problem.description)
            report.count(outcome.timedOut ? "hangs" : outcome.signal != nil ? "signal deaths" : "bad answers")
        case .success(let answer):
            report.count(answer.succeeded ? "answered success (\(verb ?? "?"))" : door.countName(ofError: answer))
            if answer.succeeded && verb == door.add {
                attached = true
                let undo = world.spawner.run(door.undo(input, result: outcome.stdout).invocation(plugin: plugin), limit: 10)
                switch D.Call.judge(undo, verb: door.remove) {
                case .failure(let problem): problems.append("\(door.add) succeeded but the \(door.remove) after it \(door.undoNotAnswering): \(problem)")
                case .success(let answer) where !answer.succeeded:
                    problems.append("\(door.add) succeeded but the \(door.remove) after it failed: \(undo.summary)")
                default: report.count(door.cleanUndoCount)
                }
            }
        }
        let containers: [String: Set<String>] = door.checksContainers(after: verb) ? Dictionary(uniqueKeysWithValues: door.fuzzContainers.map { ($0, ["lo"]) }) : [:]
        let findings = world.findings(allowed: input.allowed, newBridges: attached, containers: containers) + door.helperLeftovers(world)
        if !findings.isEmpty {
            report.count("inputs with leftovers", findings.count)
            problems += findings
        }
        if problems.isEmpty {
            let kept = door.keptBridges(worker: part.worker)
            for link in Set(world.hostLinks()).subtracting(world.baseLinks) where !kept.contains(link) { world.deleteLink(link) }
            world.removeNewFiles()
            world.snapshotBase()
        } else {
            let replay = FaultTier.replayHint(part: door.part("fuzz"), seed: seed, index: index, workers: part.workers)
            report.fail("\(door.tag)fuzz input #\(index) (\(seedLabel), replay: \(replay)) " +
                        "\(input.origin.map { "from \($0), " } ?? "")mutations \(input.mutations): \(problems.joined(separator: "; ")) — \(input.call.description)")
            if let recovery = door.recovery(input) { _ = world.spawner.run(recovery.invocation(plugin: plugin), limit: 10) }
            door.killHelpers(world)
            world.reset(containers: door.fuzzContainers)
            world.snapshotBase()
        }
    }
}

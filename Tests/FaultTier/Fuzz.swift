import Foundation

/// Fuzzes the CNI door: every input gets one clean answer; an ADD that succeeds is followed by a
/// DEL that must succeed too; after each input nothing may be left and nothing written elsewhere.
struct Fuzz {
    let world: PrivateWorld
    let report: Report
    let plugin: String
    let worker: Int
    let workers: Int
    let seed: UInt64
    let seedLabel: String
    let containers = ["c0", "c1"]

    func run(indices: [Int], replay: Bool) {
        for container in containers { world.addNamespace(container) }
        world.snapshotBase()
        let generator = FuzzGenerator(worker: worker, seed: seed, containers: containers)
        for index in indices {
            let input = generator.make(index)
            if replay { report.note("input #\(index): mutations \(input.mutations); \(input.call.description)") }
            one(index, input)
        }
    }

    private func one(_ index: Int, _ input: FuzzInput) {
        report.count("inputs")
        if input.call.stdin.count >= 10 << 20 { report.count("10 MB inputs") }
        let command = input.call.command
        let outcome = world.spawner.run(input.call.invocation(plugin: plugin), limit: 5)
        var problems: [String] = []
        var added = false
        switch judge(outcome, command: command) {
        case .failure(let problem):
            problems.append(problem.description)
            report.count(outcome.signal != nil && !outcome.timedOut ? "signal deaths" : outcome.timedOut ? "hangs" : "bad answers")
        case .success(let answer):
            if let code = answer.code { report.count("answered error \(code)") } else { report.count("answered success (\(command ?? "?"))") }
            if answer.succeeded && command == "ADD" {
                added = true
                let delete = cleanDelete(input, result: outcome.stdout)
                if case .failure(let problem) = judge(delete, command: "DEL") {
                    problems.append("ADD succeeded but the DEL after it did not: \(problem)")
                } else if delete.exitStatus != 0 {
                    problems.append("ADD succeeded but the DEL after it failed: \(delete.summary)")
                } else {
                    report.count("ADD then clean DEL")
                }
            }
        }
        let checkContainers = command == "ADD" || command == "DEL" || command == "CHECK"
        let findings = world.findings(allowed: input.allowed, newBridges: added,
                                      containers: checkContainers ? Dictionary(uniqueKeysWithValues: containers.map { ($0, ["lo"]) }) : [:],
                                      ignoreFiles: [])
        if !findings.isEmpty {
            report.count("inputs with leftovers", findings.count)
            problems += findings
        }
        if problems.isEmpty {
            // Keep the network's own bridge between inputs; bridges of mutated names go.
            for link in Set(world.hostLinks()).subtracting(world.baseLinks) {
                if link == Array("fzbr\(worker)".utf8) { continue }
                world.deleteLink(link)
            }
            world.removeNewFiles()
            world.snapshotBase()
        } else {
            report.fail("fuzz input #\(index) (\(seedLabel), replay: \(FaultTier.replayHint(part: "fuzz", seed: seed, index: index, workers: workers))) " +
                        "mutations \(input.mutations): \(problems.joined(separator: "; ")) — \(input.call.description)")
            world.reset(containers: containers)
            world.snapshotBase()
        }
    }

    /// The runtime's DEL after a successful ADD: same environment, the ADD's Result as prevResult when the config is an object.
    private func cleanDelete(_ input: FuzzInput, result: [UInt8]) -> Outcome {
        var call = input.call.with(command: "DEL")
        if case .object(var members)? = input.tree,
           let previous = try? JSONSerialization.jsonObject(with: Data(result)), JSONSerialization.isValidJSONObject(previous),
           let bytes = try? JSONSerialization.data(withJSONObject: previous) {
            members.removeAll { $0.0 == "prevResult" }
            members.append(("prevResult", .raw(Array(bytes))))
            call.stdin = JSON.object(members).bytes
        }
        return world.spawner.run(call.invocation(plugin: plugin), limit: 10)
    }
}

import Foundation

/// Fuzzes the netavark door: every input gets one clean answer; a setup that succeeds is followed
/// by a teardown with the same input that must succeed too; after each input no link, record,
/// lease, aardvark-dns entry or aardvark-dns process may be left, and nothing written outside `--config`.
struct NetavarkFuzz {
    let world: PrivateWorld
    let report: Report
    let plugin: String
    let worker: Int
    let workers: Int
    let seed: UInt64
    let seedLabel: String
    let containers = ["n0", "n1"]

    func run(indices: [Int], replay: Bool) {
        let captures = NetavarkCaptures.load()
        guard !captures.isEmpty else {
            report.fail("netavark fuzz: the podman captures (testdata/podman/podman-netavark-*.json) were not found")
            return
        }
        for container in containers { world.addNamespace(container) }
        for directory in ["other", "config"] {
            try? FileManager.default.createDirectory(atPath: NetavarkFuzzGenerator.scratch + "/" + directory, withIntermediateDirectories: true)
        }
        writeFile(NetavarkFuzzGenerator.scratch + "/other/plain-file", Array("x".utf8))
        mkfifo(NetavarkFuzzGenerator.scratch + "/other/fifo", 0o600)
        world.snapshotBase()
        let generator = NetavarkFuzzGenerator(worker: worker, seed: seed, containers: containers, captures: captures)
        for index in indices {
            let input = generator.make(index)
            if replay { report.note("input #\(index) from \(input.origin): mutations \(input.mutations); \(input.call.description)") }
            one(index, input)
        }
    }

    private func one(_ index: Int, _ input: NetavarkFuzzInput) {
        report.count("inputs")
        if input.call.stdin.count + (input.call.inputFile?.count ?? 0) >= 10 << 20 { report.count("10 MB inputs") }
        let verb = input.call.verb
        let outcome = world.spawner.run(input.call.invocation(plugin: plugin), limit: 5)
        var problems: [String] = []
        var setUp = false
        switch judgeNetavark(outcome, verb: verb) {
        case .failure(let problem):
            problems.append(problem.description)
            report.count(outcome.timedOut ? "hangs" : outcome.signal != nil ? "signal deaths" : "bad answers")
        case .success(let answer):
            if answer.succeeded { report.count("answered success (\(verb ?? "?"))") } else { report.count("answered {\"error\"}") }
            if answer.succeeded && verb == "setup" {
                setUp = true
                let teardown = world.spawner.run(input.call.with(verb: "teardown").invocation(plugin: plugin), limit: 10)
                switch judgeNetavark(teardown, verb: "teardown") {
                case .failure(let problem): problems.append("setup succeeded but the teardown after it did not answer cleanly: \(problem)")
                case .success(let answer) where !answer.succeeded: problems.append("setup succeeded but the teardown after it failed: \(teardown.summary)")
                default: report.count("setups then clean teardowns")
                }
            }
        }
        var findings = world.findings(allowed: input.allowed, newBridges: setUp,
                                      containers: Dictionary(uniqueKeysWithValues: containers.map { ($0, ["lo"]) }))
        findings += world.aardvarkLeftovers()
        if !findings.isEmpty {
            report.count("inputs with leftovers", findings.count)
            problems += findings
        }
        if problems.isEmpty {
            // The captures' bridges stay between inputs (as after a real teardown); bridges of mutated names go.
            for link in Set(world.hostLinks()).subtracting(world.baseLinks)
                where !NetavarkFuzzGenerator.captureBridges.contains(String(decoding: link, as: UTF8.self)) {
                world.deleteLink(link)
            }
            world.removeNewFiles()
            world.snapshotBase()
        } else {
            report.fail("netavark fuzz input #\(index) (\(seedLabel), replay: \(FaultTier.replayHint(part: "nvfuzz", seed: seed, index: index, workers: workers))) " +
                        "from \(input.origin), mutations \(input.mutations): \(problems.joined(separator: "; ")) — \(input.call.description)")
            _ = world.spawner.run(input.call.with(verb: "teardown").invocation(plugin: plugin), limit: 10)
            world.killAardvark()
            world.reset(containers: containers)
            world.snapshotBase()
        }
    }
}

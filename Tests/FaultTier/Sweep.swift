import Foundation

/// Fails every syscall position of one operation in turn with strace's fault injection.
///
/// How strace counts: `-e inject=SYSCALL:…:when=N` acts on the N-th invocation *of that syscall*
/// in the traced process (a counter per syscall name, per process), not on the N-th syscall overall.
/// So a baseline trace of the healthy operation is taken, and position k — the k-th syscall, say
/// the 3rd `sendto` — is reached with `inject=sendto:…:when=3`. Every line of the baseline from the
/// plugin's first own syscall (restoring SIGPIPE, then reading stdin) to `exit_group` is a position.
/// The dynamic loader and the Swift runtime's start-up come before: nothing can be made there and
/// no plugin code runs yet, so those positions are counted and reported but not swept.
struct Sweep {
    let part: Part
    var world: PrivateWorld { part.world }
    var report: Report { part.report }
    var plugin: String { part.plugin }

    struct Position {
        var number: Int      // 1-based, in the whole baseline trace
        var syscall: String
        var occurrence: Int  // when=N
        var line: String
    }

    enum Fault: String, CaseIterable { case eio = "EIO", eintr = "EINTR", kill = "KILL" }

    /// One operation to sweep, through a door: how to set it up, run it, judge its answer,
    /// undo it (DEL, teardown), collect garbage (GC, when the door has it), look for leftovers, and
    /// get back to its starting point.
    struct Subject {
        var label: String
        /// Takes something away (DEL, teardown): a failed one is retried, not judged for leftovers before.
        var removes: Bool
        /// A failed run may not leave the network's bridge (the bridge did not exist before it).
        var makesBridge: Bool
        var prepare: () -> Void
        var invocation: () -> Invocation
        var judge: (Outcome) -> Result<Answer, Problem>
        var undo: () -> String?
        var collect: (() -> String?)?
        var findings: (_ bridgeMayStay: Bool) -> [String]
        var cleanUp: () -> Void
        /// After the whole sweep of this subject.
        var finish: () -> Void = {}
    }

    func run<D: Door>(_ door: D, faults: [Fault]) {
        sweep(door.sweepSubjects(self), faults: faults)
    }

    func sweep(_ subjects: [Subject], faults: [Fault]) {
        for subject in subjects {
            guard let positions = baseline(subject, faults: faults) else { return }
            for (index, position) in positions.enumerated() where index % part.workers == part.worker {
                for fault in faults {
                    // brk(2) has no error return: the kernel answers a failure with the old break, and
                    // glibc would take an injected -EIO as the new break. Only the kill applies there.
                    if position.syscall == "brk" && fault != .kill {
                        report.count("brk positions where only KILL applies (\(fault.rawValue) skipped)")
                        continue
                    }
                    one(subject, position, fault)
                }
            }
            subject.finish()
        }
    }

    /// The healthy operation's syscalls, as positions.
    private func baseline(_ subject: Subject, faults: [Fault]) -> [Position]? {
        subject.prepare()
        var invocation = subject.invocation()
        invocation.arguments = ["/usr/bin/strace", "-qq", "-o", "/tmp/io/trace", "--"].map { Array($0.utf8) } + invocation.arguments
        let traced = world.spawner.run(invocation)
        subject.cleanUp()
        guard traced.exitedZero else {
            report.fail("sweep \(subject.label): the healthy traced operation failed: \(traced.summary)")
            return nil
        }
        let lines = String(decoding: readFile("/tmp/io/trace"), as: UTF8.self).split(separator: "\n").map(String.init)
        var counts: [String: Int] = [:], positions: [Position] = []
        var started = false, startUp = 0
        for (index, line) in lines.enumerated() {
            guard let open = line.firstIndex(of: "("), !line.hasPrefix("+++"), !line.hasPrefix("---") else { continue }
            let name = String(line[..<open])
            guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else { continue }
            counts[name, default: 0] += 1
            if !started, line.hasPrefix("rt_sigaction(SIGPIPE") || line.hasPrefix("read(0,") { started = true }
            if started {
                positions.append(Position(number: index + 1, syscall: name, occurrence: counts[name]!, line: line))
            } else {
                startUp += 1
            }
        }
        if part.worker == 0 {
            report.note("sweep \(subject.label): baseline \(lines.count) syscalls, \(startUp) in start-up (loader, Swift runtime: not swept), \(positions.count) positions swept × \(faults.count) faults")
        }
        report.count("start-up positions not swept (\(subject.label))", part.worker == 0 ? startUp : 0)
        return positions
    }

    private func one(_ subject: Subject, _ position: Position, _ fault: Fault) {
        subject.prepare()
        var invocation = subject.invocation()
        let action = fault == .kill ? "signal=KILL" : "error=\(fault.rawValue)"
        // Not --seccomp-bpf: with it strace 6.1 does not deliver signal= injections (the syscall just runs).
        invocation.arguments = ["/usr/bin/strace", "-f", "-qq", "-o", "/tmp/io/injected", "-e", "trace=\(position.syscall)",
                                "-e", "inject=\(position.syscall):\(action):when=\(position.occurrence)", "--"].map { Array($0.utf8) } + invocation.arguments
        let outcome = world.spawner.run(invocation)
        report.count("runs (\(subject.label), \(fault.rawValue))")
        let injectedLine = String(decoding: readFile("/tmp/io/injected"), as: UTF8.self).split(separator: "\n").first { $0.contains("INJECTED") || $0.contains("SIGKILL") }
        // strace -f prefixes each line with the pid.
        let hitAnswerWrite = injectedLine.map { $0.drop { $0.isNumber || $0 == " " }.hasPrefix("write(1,") } ?? false
        let fired = injectedLine != nil || fault == .kill && outcome.signal == 9
        if !fired { report.count("positions the injection did not reach (path changed)") }
        var problems: [String] = []
        var failed = true
        if fault == .kill {
            if outcome.signal != 9, fired { problems.append("strace injected SIGKILL but the process \(outcome.summary)") }
            failed = outcome.signal == 9
        } else {
            switch subject.judge(outcome) {
            case .failure(let problem):
                // A failed write of the answer itself cannot carry the answer: exit non-zero, nothing on stdout, is right.
                let lostAnswer = hitAnswerWrite && fault == .eio && outcome.signal == nil && !outcome.timedOut
                    && outcome.exitStatus != 0 && outcome.stdout.isEmpty && outcome.stderr.isEmpty
                if !lostAnswer { problems.append(problem.description) }
            case .success(let answer):
                failed = !answer.succeeded
                if answer.succeeded && hitAnswerWrite && fault == .eio && fired && !subject.removes {
                    problems.append("\(subject.label) exited 0 although writing its answer failed with EIO: \(outcome.summary)")
                }
            }
        }
        if failed { report.count("runs that failed (\(fault.rawValue))") } else { report.count("runs that tolerated the fault (\(fault.rawValue))") }
        // A failed ADD leaves nothing at all before any DEL; a failed DEL is retried; a killed one is followed by DEL and GC.
        if fault == .kill || (failed && subject.removes) || (!failed && !subject.removes) {
            if let problem = subject.undo() { problems.append(problem) }
        }
        if fault == .kill, let collect = subject.collect, let problem = collect() { problems.append(problem) }
        let bridgeMayStay = !subject.makesBridge || !failed || fault == .kill
        let left = subject.findings(bridgeMayStay)
        if !left.isEmpty {
            report.count("positions with leftovers")
            problems.append((failed && fault != .kill && !subject.removes ? "left before any undo: " : "left after the undo: ") + left.joined(separator: "; "))
        }
        if !problems.isEmpty {
            report.fail("sweep \(subject.label) position \(position.number) (\(position.syscall) #\(position.occurrence), strace -e inject=\(position.syscall):\(action):when=\(position.occurrence); hit: \(clip(injectedLine.map(String.init) ?? "nothing", 140))) " +
                        "\(fault.rawValue)\(fired ? "" : " (did not fire)"): \(problems.joined(separator: "; "))")
        }
        subject.cleanUp()
    }

    /// Back to an operation's starting point, whatever happened: `undo` run, new host links but
    /// `bridge` deleted, the container namespace `s0` made anew if it has more than `lo`, new files removed.
    func cleanUp<Call: DoorCall>(undo: Call, keeping bridge: String) {
        _ = world.spawner.run(undo.invocation(plugin: plugin))
        for link in Set(world.hostLinks()).subtracting(world.baseLinks) where link != Array(bridge.utf8) { world.deleteLink(link) }
        if world.containerLinks("s0") != ["lo"] {
            world.deleteNamespace("s0")
            world.addNamespace("s0")
        }
        world.removeNewFiles()
    }
}

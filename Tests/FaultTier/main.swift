import Foundation
#if canImport(Glibc)
import Glibc
#endif

// pontoon-faults: the fault tier. Run as root; every part runs in throwaway sandboxes (see Sandbox).
//
//   pontoon-faults fuzz [--inputs N] [--seed HEX] [--only INDEX] [--workers N]
//   pontoon-faults kill [--trials N] [--seed HEX] [--workers N]
//   pontoon-faults sweep [--faults EIO,EINTR,KILL] [--workers N]
//   pontoon-faults concurrency [--rounds N]
//   pontoon-faults nvfuzz [--inputs N] [--seed HEX] [--only INDEX] [--workers N]   (the netavark door)
//   pontoon-faults nvkill [--trials N] [--seed HEX] [--workers N]
//   pontoon-faults nvsweep [--faults EIO,EINTR,KILL] [--workers N]
//   pontoon-faults corpus [--door cni|netavark] [--seed HEX] [--inputs N]   (the fuzz's documents, nothing run)
//
// The parent splits the work over workers (one sandbox each, run side by side), sums their figures,
// prints every failure with what is needed to reproduce it, and exits 1 when anything failed.
// PONTOON_FUZZ_INPUTS sets the fuzz count (the long pre-release run: 1000000).

signal(SIGPIPE, SIG_IGN)

enum FaultTier {
    static func replayHint(part: String, seed: UInt64, index: Int, workers: Int) -> String {
        "pontoon-faults \(part) --seed \(String(seed, radix: 16)) --only \(index) --workers \(workers)"
    }
}

struct Options {
    var part = ""
    var values: [String: String] = [:]

    init(_ arguments: [String]) {
        part = arguments.first ?? ""
        var index = 1
        while index < arguments.count {
            let key = arguments[index]
            if key.hasPrefix("--"), index + 1 < arguments.count {
                values[String(key.dropFirst(2))] = arguments[index + 1]
                index += 2
            } else {
                index += 1
            }
        }
    }

    func int(_ key: String, _ fallback: Int) -> Int { values[key].flatMap { Int($0) } ?? fallback }
    func seed(_ key: String = "seed") -> UInt64? { values[key].flatMap { UInt64($0, radix: 16) } }
}

let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
let options = Options(Array(CommandLine.arguments.dropFirst()))
// The plugin under test: --plugin, PONTOON_FAULTS_PLUGIN (scripts/faults: the release build), or the one built beside us.
let plugin = options.values["plugin"] ?? ProcessInfo.processInfo.environment["PONTOON_FAULTS_PLUGIN"]
    ?? ((me as NSString).deletingLastPathComponent + "/pontoon")

/// A worker's share of `door`'s part named on the command line; false when it names none of the door's parts.
func work<D: Door>(through door: D, _ part: Part) -> Bool {
    switch options.part {
    case door.part("fuzz"):
        let seed = options.seed()!
        let indices: [Int]
        if let only = options.values["only"].flatMap({ Int($0) }) {
            indices = [only]
        } else {
            indices = Array(stride(from: options.int("from", 0) + part.worker, to: options.int("to", 0), by: part.workers))
        }
        Fuzz(part: part, door: door, seed: seed, seedLabel: options.values["label"] ?? "seed \(String(seed, radix: 16))")
            .run(indices: indices, replay: options.values["only"] != nil)
    case door.part("kill"):
        let trials = Array(stride(from: part.worker, to: options.int("trials", door.killTrials), by: part.workers))
        Kills(part: part, door: door, seed: options.seed()!).run(trials: trials)
    case door.part("sweep"):
        let faults = (options.values["faults"] ?? "EIO,EINTR,KILL").split(separator: ",").compactMap { Sweep.Fault(rawValue: String($0)) }
        Sweep(part: part).run(door, faults: faults)
    default:
        return false
    }
    return true
}

if options.part == "corpus" { Corpus.dump(options) }

if Sandbox.inside {
    // A worker: one part, one slice of the work, in its own private world.
    let report = Report()
    let part = Part(world: PrivateWorld(), report: report, plugin: plugin,
                    worker: options.int("worker-override", options.int("worker", 0)), workers: options.int("workers", 1))
    if options.part == "concurrency" {
        Concurrency(world: part.world, report: report, plugin: plugin, rounds: options.int("rounds", 6)).run()
    } else if !doors.contains(where: { work(through: $0, part) }) {
        report.fail("unknown part \(options.part)")
    }
    report.finish()
    exit(0)
}

// The parent.
guard getuid() == 0 else {
    print("pontoon-faults needs root: it makes network and mount namespaces")
    exit(2)
}
guard FileManager.default.isExecutableFile(atPath: plugin) else {
    print("no plugin at \(plugin) (build it first, or pass --plugin)")
    exit(2)
}

/// Runs workers side by side, each in a fresh sandbox, and sums what they report.
func runWorkers(_ part: String, workers: Int, _ extra: [String]) -> Summary {
    var summary = Summary()
    var children: [(Process, String, Int)] = []
    for worker in 0..<workers {
        let log = NSTemporaryDirectory() + "pontoon-faults-\(getpid())-\(part)-\(worker).log"
        FileManager.default.createFile(atPath: log, contents: nil)
        let process = Process()
        let command = Sandbox.wrap(driver: me, plugin: plugin, [part, "--worker", "\(worker)", "--workers", "\(workers)"] + extra)
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        process.environment = ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin", Sandbox.marker: "1",
                               NetavarkCaptures.variable: part == "nvfuzz" ? NetavarkCaptures.encoded() : ""]
        process.standardOutput = FileHandle(forWritingAtPath: log)
        process.standardError = FileHandle(forWritingAtPath: log)
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch {
            summary.brokenWorkers.append("worker \(worker) could not start: \(error)")
            continue
        }
        children.append((process, log, worker))
    }
    for (process, log, worker) in children {
        process.waitUntilExit()
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? String(decoding: FileManager.default.contents(atPath: log) ?? Data(), as: UTF8.self)
        try? FileManager.default.removeItem(atPath: log)
        summary.absorb(output, worker: "worker \(worker)", status: process.terminationStatus)
    }
    return summary
}

func merge(_ a: Summary, _ b: Summary) -> Summary {
    var merged = a
    for name in b.order {
        if merged.counts[name] == nil { merged.order.append(name) }
        merged.counts[name, default: 0] += b.counts[name]!
    }
    merged.failures += b.failures
    merged.notes += b.notes
    merged.brokenWorkers += b.brokenWorkers
    return merged
}

/// Prints the figures and the verdict; returns whether the part passed.
func conclude(_ title: String, _ summary: Summary, seconds: Double, header: [String], required: [(String, Int)]) -> Bool {
    print("== fault tier: \(title) (\(String(format: "%.1f", seconds)) s) ==")
    for line in header { print("   \(line)") }
    for note in summary.notes { print("   note: \(note)") }
    for name in summary.order where name != "failures" {
        print(String(format: "   %8d  %@", summary.counts[name]!, name))
    }
    var shortfalls: [String] = []
    for (name, minimum) in required where summary.counts[name, default: 0] < minimum {
        shortfalls.append("only \(summary.counts[name, default: 0]) \(name), at least \(minimum) required")
    }
    let failures = summary.failures
    print(String(format: "   %8d  failures", failures.count))
    for failure in failures.prefix(60) { print("   FAIL \(failure)") }
    if failures.count > 60 { print("   … and \(failures.count - 60) more failures") }
    for broken in summary.brokenWorkers { print("   BROKEN \(broken)") }
    for shortfall in shortfalls { print("   SHORT \(shortfall)") }
    let passed = failures.isEmpty && summary.brokenWorkers.isEmpty && shortfalls.isEmpty
    print(passed ? "PASSED fault tier: \(title)" : "FAILED fault tier: \(title) — \(failures.count) failures")
    return passed
}

let started = Date()
let workers = options.int("workers", max(2, ProcessInfo.processInfo.activeProcessorCount))

/// `door`'s part named on the command line, run and concluded: whether it passed; nil when it names none of the door's parts.
func conduct<D: Door>(_ door: D) -> Bool? {
    switch options.part {
    case door.part("fuzz"):
        let total = options.int("inputs", door.fuzzInputs(of: Int(ProcessInfo.processInfo.environment["PONTOON_FUZZ_INPUTS"] ?? "") ?? 20_000))
        if let only = options.values["only"], let seed = options.seed() {
            let worker = (Int(only) ?? 0) % workers
            let summary = runWorkers(door.part("fuzz"), workers: 1, ["--seed", String(seed, radix: 16), "--only", only, "--worker-override", "\(worker)"])
            return conclude("\(door.tag)fuzz replay of input #\(only)", summary, seconds: Date().timeIntervalSince(started), header: [], required: [])
        }
        // Half from the fixed seed (the same inputs every run), half from a fresh one (printed, replayable).
        let fixed = door.fixedSeed
        let fresh = options.seed() ?? UInt64.random(in: 1...UInt64.max)
        let first = runWorkers(door.part("fuzz"), workers: workers, ["--seed", String(fixed, radix: 16), "--from", "0", "--to", "\(total / 2)", "--label", "fixed seed \(String(fixed, radix: 16))"])
        let second = runWorkers(door.part("fuzz"), workers: workers, ["--seed", String(fresh, radix: 16), "--from", "\(total / 2)", "--to", "\(total)", "--label", "random seed \(String(fresh, radix: 16))"])
        return conclude("fuzz of the \(door.name) door", merge(first, second), seconds: Date().timeIntervalSince(started),
                        header: ["plugin \(plugin)", "\(total) inputs: #0–#\(total / 2 - 1) from the fixed seed \(String(fixed, radix: 16)), #\(total / 2)–#\(total - 1) from the random seed \(String(fresh, radix: 16)); \(workers) workers",
                                 "replay one input: pontoon-faults \(door.part("fuzz")) --seed <seed> --only <index> --workers \(workers)"],
                        required: [("inputs", total)])
    case door.part("kill"):
        let trials = options.int("trials", door.killTrials)
        let seed = options.seed() ?? UInt64.random(in: 1...UInt64.max)
        let summary = runWorkers(door.part("kill"), workers: workers, ["--trials", "\(trials)", "--seed", String(seed, radix: 16)])
        return conclude("kill -9 during \(door.tag)\(door.add) and \(door.remove)", summary, seconds: Date().timeIntervalSince(started),
                        header: [door.killHeader(trials: trials, seed: String(seed, radix: 16))],
                        required: [("\(door.add) trials", trials / 2), ("\(door.remove) trials", trials / 2)])
    case door.part("sweep"):
        let faults = options.values["faults"] ?? "EIO,EINTR,KILL"
        let summary = runWorkers(door.part("sweep"), workers: workers, ["--faults", faults])
        return conclude(door.sweepTitle, summary, seconds: Date().timeIntervalSince(started),
                        header: ["every syscall position of \(door.sweepScope), failed with \(faults) in turn via strace -e inject=SYSCALL:…:when=N"],
                        required: [])
    default:
        return nil
    }
}

var passed = true
switch options.part {
case "concurrency":
    let rounds = options.int("rounds", 6)
    let summary = runWorkers("concurrency", workers: 1, ["--rounds", "\(rounds)"])
    passed = conclude("concurrency", summary, seconds: Date().timeIntervalSince(started),
                      header: ["\(rounds) rounds of 16 parallel ADDs (starting without the bridge) then 16 parallel DELs"],
                      required: [("rounds", rounds)])
default:
    var verdict: Bool?
    for door in doors where verdict == nil { verdict = conduct(door) }
    guard let verdict else {
        print("usage: pontoon-faults fuzz|kill|sweep|concurrency|nvfuzz|nvkill|nvsweep [options]")
        exit(2)
    }
    passed = verdict
}
exit(passed ? 0 : 1)

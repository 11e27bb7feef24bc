import Foundation

/// One request to a door of the plugin, ready to run as a runtime would run it.
protocol DoorCall {
    /// The operation the plugin should find in the request (`CNI_COMMAND`, netavark's verb); nil when none can be read.
    var verb: String? { get }
    /// The same request for another operation: the undo after a success.
    func with(verb: String) -> Self
    func invocation(plugin: String) -> Invocation
    /// Bytes the request hands the plugin (stdin, an options file).
    var size: Int { get }
    /// Printable, for a failure report.
    var description: String { get }
    /// Whether `outcome` is an answer this door's callers can rely on, for `verb`.
    static func judge(_ outcome: Outcome, verb: String?) -> Result<Answer, Problem>
}

/// One fuzzed request and what was done to it.
protocol FuzzedInput {
    associatedtype Call: DoorCall
    var call: Call { get }
    var mutations: [String] { get }
    var allowed: AllowedPaths { get }
    /// The real request it started from, when it started from one.
    var origin: String? { get }
}

/// A front door of the plugin as the fault tier drives it: how to build a request and call the
/// plugin, what a correct answer is, and what a clean host looks like afterwards. The fuzz, kill
/// and sweep drivers are written once over this; each door says only what is its own.
protocol Door: Sendable {
    associatedtype Call: DoorCall
    associatedtype Input: FuzzedInput where Input.Call == Call

    /// "CNI", "netavark": in titles.
    var name: String { get }
    /// Before a part's name on the driver's command line ("" for CNI: `fuzz`; "nv" for netavark: `nvfuzz`).
    var partPrefix: String { get }
    /// Before "fuzz input", "kill" in failure reports.
    var tag: String { get }
    /// The operation that attaches (`ADD`, `setup`) and the one that undoes it (`DEL`, `teardown`).
    var add: String { get }
    var remove: String { get }
    /// What a repeated attach reuses: "id" (CNI_CONTAINERID), "container".
    var subject: String { get }

    // MARK: fuzz

    var fuzzContainers: [String] { get }
    /// The seed of the first half of the inputs: the same inputs every run.
    var fixedSeed: UInt64 { get }
    /// The default input count, out of PONTOON_FUZZ_INPUTS (or 20,000).
    func fuzzInputs(of total: Int) -> Int
    /// Input number `index` from (seed, index) alone; nil (reported) when the door cannot fuzz here.
    func fuzzGenerator(_ part: Part, seed: UInt64, containers: [String]) -> ((Int) -> Input)?
    /// The figure an error answer is counted under.
    func countName(ofError answer: Answer) -> String
    /// What the runtime sends after `input` attached successfully with `result` on stdout.
    func undo(_ input: Input, result: [UInt8]) -> Call
    /// How a failed undo after a successful attach is worded, and the figure of a clean one.
    var undoNotAnswering: String { get }
    var cleanUndoCount: String { get }
    /// Whether the container namespaces must be as before after this operation.
    func checksContainers(after verb: String?) -> Bool
    /// Bridges kept between inputs (a network's bridge outlives its containers).
    func keptBridges(worker: Int) -> Set<[UInt8]>
    /// What to run after a failed input before the world is reset (nil: nothing).
    func recovery(_ input: Input) -> Call?

    // MARK: kill -9

    var killTrials: Int { get }
    func killHeader(trials: Int, seed: String) -> String
    /// Makes what the trials need (reporting any failure) and hands back the networks they take turns on.
    func killTargets(_ part: Part) -> [KillTarget<Call>]?
    /// The container namespaces and their interfaces after every trial.
    var killContainers: [String: Set<String>] { get }
    /// Before the leftovers found once the killed operation was undone.
    var afterKillUndo: String { get }

    // MARK: syscall sweep

    var sweepTitle: String { get }
    /// What is swept, for the report's header.
    var sweepScope: String { get }
    /// Makes the sweep's network and hands back the operations to sweep.
    func sweepSubjects(_ sweep: Sweep) -> [Sweep.Subject]

    // MARK: helpers the plugin starts

    /// Helper processes (aardvark-dns) still running: leftovers too.
    func helperLeftovers(_ world: PrivateWorld) -> [String]
    func killHelpers(_ world: PrivateWorld)
}

extension Door {
    func part(_ name: String) -> String { partPrefix + name }
}

/// The doors the driver serves: a part name on its command line picks the door whose prefix it has.
let doors: [any Door] = [CNIDoor(), NetavarkDoor()]

/// A network the kill trials attach to: its requests, and what is said of it in the report.
struct KillTarget<Call: DoorCall> {
    var attach: (_ id: String) -> Call
    var detach: (_ id: String) -> Call
    /// After the undo of a killed operation: GC as a runtime sends it, where the door has it.
    var collect: Call?
    var allowed: AllowedPaths
    /// "DNS on": said of every trial on this network.
    var tag: String?
    /// A further figure for every trial on this network ("with DNS").
    var trialCount: String?
}

/// What every part of a worker works with.
struct Part {
    let world: PrivateWorld
    let report: Report
    let plugin: String
    let worker: Int
    let workers: Int
}

/// What a runtime may rely on through either door: never a hang, a signal or stderr; exit 0 with
/// the verb's output (`success` judges the document), or exit 1 with one JSON error object (`error`).
func judgeAnswer(_ outcome: Outcome, success: (Any?) -> Result<Answer, Problem>,
                 error: ([String: Any]) -> Result<Answer, Problem>) -> Result<Answer, Problem> {
    if outcome.timedOut { return .failure(Problem("hung: no answer within the time limit; \(outcome.summary)")) }
    if let signal = outcome.signal { return .failure(Problem("died by signal \(signal); \(outcome.summary)")) }
    if !outcome.stderr.isEmpty { return .failure(Problem("wrote to stderr; \(outcome.summary)")) }
    let document = try? JSONSerialization.jsonObject(with: Data(outcome.stdout), options: [.fragmentsAllowed])
    if outcome.exitStatus == 0 { return success(document) }
    guard outcome.exitStatus == 1 else { return .failure(Problem("failed with an exit status other than 1; \(outcome.summary)")) }
    guard let object = document as? [String: Any] else {
        return .failure(Problem("failed without one JSON error document on stdout; \(outcome.summary)"))
    }
    return error(object)
}

/// What a judged answer says.
enum Answer {
    case success(Any?)
    case error(code: Int, message: String)

    var succeeded: Bool { if case .success = self { true } else { false } }
    var code: Int? { if case .error(let code, _) = self { code } else { nil } }
}

struct Problem: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension Outcome {
    /// Nothing but blanks on stdout: the answer of an operation that has no output.
    var printedNothing: Bool { stdout.allSatisfy { $0 == 0x0a || $0 == 0x20 } }
}

extension PrivateWorld {
    /// Runs a call that must succeed; the problem otherwise.
    func mustSucceed<Call: DoorCall>(_ call: Call, plugin: String, _ what: String) -> String? {
        let outcome = spawner.run(call.invocation(plugin: plugin))
        switch Call.judge(outcome, verb: call.verb) {
        case .failure(let problem): return "\(what): \(problem)"
        case .success(let answer) where !answer.succeeded: return "\(what) failed: \(outcome.summary)"
        default: return nil
        }
    }
}

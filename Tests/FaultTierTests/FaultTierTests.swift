import Foundation
import Testing
import TestSupport

/// The fault tier: each part is run by the `pontoon-faults` driver, which works only inside
/// throwaway network and mount namespaces, prints its figures, and exits non-zero on any failure.
/// The parts run one after another (each already uses every core). `scripts/test` runs this target as
/// its own step after the rest of `swift test`; `scripts/faults` runs it alone.
@Suite("Fault tier", .serialized, .enabled(if: PrivateHost.isRoot, "the fault tier needs root to create namespaces"))
struct FaultTierTests {
    static var driver: String { Binaries.directory + "/pontoon-faults" }

    /// Runs one part; its report goes to the test log whatever the outcome.
    private func part(_ arguments: [String]) throws {
        let result = try TestRun.run(Self.driver, arguments, environment: ProcessInfo.processInfo.environment)
        print(result.stdoutText, terminator: "")
        if !result.stderr.isEmpty { print(result.stderrText, terminator: "") }
        let verdict = result.stdoutText.split(separator: "\n").last { $0.hasPrefix("PASSED") || $0.hasPrefix("FAILED") } ?? "no verdict"
        #expect(result.status == 0, "\(verdict)")
    }

    /// A front door of the plugin: its parts are named with a prefix (`fuzz`, `nvfuzz`).
    struct Door: CustomTestStringConvertible, Sendable {
        var name: String
        var partPrefix: String
        /// How much each part does there, and from what.
        var scale: String
        var testDescription: String { "\(name) door: \(scale)" }
    }

    static let doors = [
        Door(name: "CNI", partPrefix: "", scale: "20,000 mutated configs and environments; 400 kill trials, each followed by DEL and GC"),
        Door(name: "netavark", partPrefix: "nv",
             scale: "10,000 mutated NetworkOptions and command lines from podman's captures; 200 kill trials, aardvark-dns in half"),
    ]

    @Test("fuzz (PONTOON_FUZZ_INPUTS for more): every mutated input gets one clean answer and leaves nothing", arguments: doors)
    func fuzz(door: Door) throws { try part([door.partPrefix + "fuzz"]) }

    @Test("kill -9 at random moments of an attach and its undo: the undo leaves nothing, a fresh attach works", arguments: doors)
    func kills(door: Door) throws { try part([door.partPrefix + "kill"]) }

    @Test("every syscall position of an attach and its undo failed with EIO, EINTR and SIGKILL: JSON answers, nothing left", arguments: doors)
    func sweep(door: Door) throws { try part([door.partPrefix + "sweep"]) }

    @Test("16 parallel ADDs then 16 parallel DELs, 6 rounds from no bridge: no duplicates, failures or leftovers")
    func concurrency() throws { try part(["concurrency"]) }
}

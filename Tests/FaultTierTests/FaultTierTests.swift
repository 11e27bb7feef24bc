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

    @Test("fuzz: 20,000 mutated configs and environments (PONTOON_FUZZ_INPUTS for more) get clean answers and leave nothing")
    func fuzz() throws { try part(["fuzz"]) }

    @Test("kill -9 at random moments of ADD and DEL (400 trials): DEL and GC leave nothing, a fresh ADD works")
    func kills() throws { try part(["kill"]) }

    @Test("every syscall position of ADD and DEL failed with EIO, EINTR and SIGKILL: JSON answers, nothing left")
    func sweep() throws { try part(["sweep"]) }

    @Test("netavark fuzz: 10,000 mutated NetworkOptions and command lines from podman's captures get one clean answer and leave nothing")
    func netavarkFuzz() throws { try part(["nvfuzz"]) }

    @Test("kill -9 at random moments of netavark setup and teardown (200 trials, aardvark-dns in half): a teardown leaves nothing")
    func netavarkKills() throws { try part(["nvkill"]) }

    @Test("every syscall position of a netavark setup and teardown failed with EIO, EINTR and SIGKILL: JSON answers, nothing left")
    func netavarkSweep() throws { try part(["nvsweep"]) }

    @Test("16 parallel ADDs then 16 parallel DELs, 6 rounds from no bridge: no duplicates, failures or leftovers")
    func concurrency() throws { try part(["concurrency"]) }
}

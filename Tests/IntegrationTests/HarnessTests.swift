import Foundation
import Testing
import TestSupport

/// The test harness itself: a fault here takes every other test's verdict with it.
@Suite("test harness")
struct HarnessTests {
    /// A plugin that fails before reading its config closes its stdin while we still write it; the
    /// whole test process once died of the SIGPIPE (CI: "exited with unexpected signal code 13").
    @Test("a child that exits without reading its stdin gets an answer, and the test process lives")
    func childIgnoringStdin() throws {
        let result = try TestRun.run("/bin/true", stdin: Data(count: 1 << 20))
        #expect(result.status == 0)
    }
}

/// Undo steps for a half-done operation: every partial failure removes what it made, newest first.
struct Rollback {
    private var steps: [(what: String, undo: () throws -> Void)] = []

    mutating func add(_ what: String, _ undo: @escaping () throws -> Void) {
        steps.append((what, undo))
    }

    /// Run every step even when one fails; the original error is what the caller reports. A failed
    /// step is tried once more: what made the operation fail (an interrupted or refused call) is
    /// often passing, and a step left undone leaks for good.
    func run() {
        for step in steps.reversed() {
            for attempt in 1...2 {
                do {
                    try step.undo()
                    Log.debug("rolled back: \(step.what)")
                    break
                } catch {
                    Log.error("rollback of \(step.what) failed (attempt \(attempt)): \(error)")
                }
            }
        }
    }
}

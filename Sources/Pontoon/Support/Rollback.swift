/// Undo steps for a half-done operation: every partial failure removes what it made, newest first.
struct Rollback {
    private var steps: [(what: String, undo: () throws -> Void)] = []

    mutating func add(_ what: String, _ undo: @escaping () throws -> Void) {
        steps.append((what, undo))
    }

    /// Run every step even when one fails; the original error is what the caller reports.
    func run() {
        for step in steps.reversed() {
            do {
                try step.undo()
                Log.debug("rolled back: \(step.what)")
            } catch {
                Log.error("rollback of \(step.what) failed: \(error)")
            }
        }
    }
}

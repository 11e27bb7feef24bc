/// Everything a successful ADD made, ready to be removed again, newest first.
public struct AttachmentUndo {
    let rollback: Rollback
    /// What runs once the rollback is done (outside the ADD's locks).
    var then: [() throws -> Void] = []

    init(rollback: Rollback) { self.rollback = rollback }

    /// An undo that runs `steps` in order: several attachments' undos, newest first, or a test's.
    public init(steps: [() throws -> Void]) {
        rollback = Rollback()
        then = steps
    }

    func followed(by step: @escaping () throws -> Void) -> AttachmentUndo {
        var copy = self
        copy.then.append(step)
        return copy
    }

    public func callAsFunction() {
        rollback.run()
        for step in then {
            do { try step() } catch { Log.error("after rolling back: \(error)") }
        }
    }
}

/// What a door hands back to the process: the document for stdout, the exit status, and how to
/// undo the operation when that document cannot be delivered (an attachment the runtime never
/// hears about would be leaked for good). Both doors answer with it; `main` writes it.
public struct PluginAnswer {
    public var output: [UInt8]
    public var status: Int32
    public var undo: (() -> Void)?

    public init(output: [UInt8], status: Int32, undo: (() -> Void)? = nil) {
        self.output = output
        self.status = status
        self.undo = undo
    }
}

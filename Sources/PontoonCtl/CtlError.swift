/// What pontoonctl reports: one sentence naming what failed. Exit status 125 for usage and input
/// mistakes (as podman does), 1 for a failed operation.
public struct CtlError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable { case usage, notFound, conflict, failed }
    public let kind: Kind
    public let description: String

    public init(_ kind: Kind = .failed, _ description: String) {
        self.kind = kind
        self.description = description
    }

    public var exitStatus: Int32 { kind == .failed ? 1 : 125 }
}

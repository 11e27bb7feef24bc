/// An engine failure, classified so each front door can answer in its own protocol (a CNI error
/// code, a netavark error string) from one place.
public struct PontoonError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable, Equatable {
        /// The network definition or request is wrong (CNI 7).
        case invalidConfiguration
        /// The request names something unusable: the container, its namespace or interface (CNI 4).
        case invalidRequest
        /// A key or value that Pontoon understands but does not support (CNI 2).
        case unsupported
        /// The container (its network namespace) does not exist (CNI 3).
        case containerMissing
        /// Reading or writing a file failed (CNI 5).
        case io
        /// A transient condition; retrying may succeed (CNI 11).
        case tryAgain
        /// ADD cannot be served right now (CNI 50, for STATUS).
        case notReady
        /// A kernel or system call failed (Pontoon 100).
        case system
        /// A requested address is taken or outside every range (Pontoon 101).
        case addressUnavailable
        /// No free address is left in a range set (Pontoon 102).
        case addressesExhausted
        /// The interface name is already taken in the container (Pontoon 103).
        case interfaceExists
        /// Host state contradicts the network definition, e.g. a bridge address (Pontoon 104).
        case conflict
        /// CHECK found the attachment differs from what was set up (Pontoon 105).
        case checkFailed
        /// A requested host port is already mapped on that address and protocol (Pontoon 106).
        case portTaken
        /// A delegated plugin failed with its own CNI code, passed through unchanged.
        case delegate(code: Int)
    }

    public var kind: Kind
    public var message: String
    public var details: String?

    public init(_ kind: Kind, _ message: String, details: String? = nil) {
        self.kind = kind
        self.message = message
        self.details = details
    }

    public var description: String {
        if let details, !details.isEmpty { return "\(message): \(details)" }
        return message
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// A failed system call: the errno and what was being done to what. Deliberately no message of its
/// own: the engine and pontoonctl each word their failures in their own protocol, so each maps
/// these in one place of its own.
public struct SystemError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Operation: Sendable, Equatable {
        /// Opening a lock file.
        case open
        /// Taking a lock; EWOULDBLOCK means the timeout ran out (`isTimeout`).
        case lock
        /// Making the pipes to a child process.
        case pipe
        /// Starting a child process (its executable is the path).
        case spawn
        /// Listing a directory.
        case list
        /// Reading a file.
        case read
    }

    public var operation: Operation
    /// The file, directory or executable concerned.
    public var path: String
    public var code: Int32

    public init(_ operation: Operation, _ path: String, code: Int32) {
        self.operation = operation
        self.path = path
        self.code = code
    }

    /// A lock was still held by someone else when the caller's timeout ran out.
    public var isTimeout: Bool { operation == .lock && code == EWOULDBLOCK }

    /// The errno text (`strerror`).
    public var reason: String { String(cString: strerror(code)) }

    public var description: String { "\(operation) \(path): \(reason)" }
}

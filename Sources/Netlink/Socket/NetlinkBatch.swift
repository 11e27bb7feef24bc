import CNetlink
#if canImport(Glibc)
import Glibc
#endif

/// Requests laid out back to back for one datagram, each with its own sequence number and the
/// words that name it in an error. Made by `NetlinkSocket.batch()`, sent by `NetlinkSocket.send`.
public final class NetlinkBatch {
    struct Entry {
        var sequence: UInt32
        /// Said only when the kernel refuses the request: a firewall ADD sends ~56 messages, and
        /// spelling each one's name up front cost more than encoding them (0.17 M instructions).
        var operation: () -> String
        /// Whether it asks for an ACK, which the exchange then waits for (GETs and dumps end otherwise).
        var acknowledged: Bool
    }

    let firstSequence: UInt32
    private(set) var entries: [Entry] = []
    private(set) var bytes: [UInt8] = []

    /// Room for one message built by a foreign encoder (libnftnl writes without bounds checks, so
    /// callers keep each message small: a few objects, a bounded number of elements).
    static let rawCapacity = 1 << 17

    init(firstSequence: UInt32) {
        self.firstSequence = firstSequence
    }

    public var isEmpty: Bool { entries.isEmpty }
    public var count: Int { entries.count }
    var lastSequence: UInt32 { firstSequence &+ UInt32(max(entries.count, 1) - 1) }
    private var nextSequence: UInt32 { firstSequence &+ UInt32(entries.count) }

    /// What names the request with this sequence number in an error; nil: not one of this batch.
    /// Sequence numbers run from `firstSequence` one per entry, so an entry's is its position.
    func operation(for sequence: UInt32) -> (() -> String)? {
        let position = Int(sequence &- firstSequence)
        return entries.indices.contains(position) ? entries[position].operation : nil
    }

    /// A request built with `Request` (libmnl, bounds-checked); refused when it does not fit.
    func add(_ operation: @autoclosure @escaping () -> String, type: Int32, flags: Int32, build: (Request) -> Void) throws {
        let capacity = cnl_socket_buffer_size()
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 8)
        defer { buffer.deallocate() }
        guard let header = Request.render(into: buffer, capacity: capacity, type: type, flags: flags,
                                          sequence: nextSequence, build: build) else {
            throw NetlinkError(operation: operation(), errno: EMSGSIZE, kernelMessage: "request does not fit in \(capacity) bytes")
        }
        append(header, operation: operation, acknowledged: flags & NLM_F_ACK != 0)
    }

    /// A request built by a foreign encoder (libnftnl) at `buffer` with the given sequence number;
    /// `acknowledged` says whether it carries NLM_F_ACK.
    public func addEncoded(_ operation: @autoclosure @escaping () -> String, acknowledged: Bool,
                           build: (_ buffer: UnsafeMutablePointer<CChar>, _ sequence: UInt32) -> UnsafeMutablePointer<nlmsghdr>) {
        let buffer = rawBuffer
        let header = build(buffer.assumingMemoryBound(to: CChar.self), nextSequence)
        let length = Int(header.pointee.nlmsg_len)
        precondition(length <= Self.rawCapacity, "netlink message larger than its buffer")
        append(header, operation: operation, acknowledged: acknowledged)
        // Zero again what this message used, so the next one starts on a zeroed buffer too.
        let used = (UnsafeMutableRawPointer(header) - buffer) + ((length + 3) & ~3)
        memset(buffer, 0, min(used, Self.rawCapacity))
    }

    /// The foreign encoder's buffer, zeroed once for the whole batch and kept zeroed after each
    /// message: zeroing all 128 KiB for each message cost 7.3 million instructions per ADD (56
    /// messages), most of the firewall phase's user-space work.
    private var raw: UnsafeMutableRawPointer?
    private var rawBuffer: UnsafeMutableRawPointer {
        if let raw { return raw }
        guard let zeroed = calloc(1, Self.rawCapacity) else { fatalError("cannot allocate \(Self.rawCapacity) bytes") }
        raw = zeroed
        return zeroed
    }

    deinit {
        free(raw)
    }

    private func append(_ header: UnsafeMutablePointer<nlmsghdr>, operation: @escaping () -> String, acknowledged: Bool) {
        let length = Int(header.pointee.nlmsg_len)
        entries.append(Entry(sequence: nextSequence, operation: operation, acknowledged: acknowledged))
        bytes.append(contentsOf: UnsafeRawBufferPointer(start: header, count: length))
        // Messages in one datagram start on 4-byte boundaries.
        let padded = (length + 3) & ~3
        if padded > length { bytes.append(contentsOf: repeatElement(0, count: padded - length)) }
    }
}

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

    /// Where each message is laid out before it is appended: the socket's.
    private let scratch: EncodingScratch

    init(firstSequence: UInt32, scratch: EncodingScratch) {
        self.firstSequence = firstSequence
        self.scratch = scratch
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
        // One request fits in what the kernel reads in one go for this socket.
        let capacity = cnl_socket_buffer_size()
        let rendered = Request.render(into: scratch.base, capacity: capacity, type: type, flags: flags,
                                      sequence: nextSequence, build: build)
        defer { scratch.clear(Int(scratch.base.assumingMemoryBound(to: nlmsghdr.self).pointee.nlmsg_len)) }
        guard let header = rendered else {
            throw NetlinkError(operation: operation(), errno: EMSGSIZE, kernelMessage: "request does not fit in \(capacity) bytes")
        }
        append(header, operation: operation, acknowledged: flags & NLM_F_ACK != 0)
    }

    /// A request built by a foreign encoder (libnftnl) at `buffer` with the given sequence number;
    /// `acknowledged` says whether it carries NLM_F_ACK.
    public func addEncoded(_ operation: @autoclosure @escaping () -> String, acknowledged: Bool,
                           build: (_ buffer: UnsafeMutablePointer<CChar>, _ sequence: UInt32) -> UnsafeMutablePointer<nlmsghdr>) {
        let buffer = scratch.base
        let header = build(buffer.assumingMemoryBound(to: CChar.self), nextSequence)
        let length = Int(header.pointee.nlmsg_len)
        precondition(length <= EncodingScratch.capacity, "netlink message larger than its buffer")
        append(header, operation: operation, acknowledged: acknowledged)
        scratch.clear((UnsafeMutableRawPointer(header) - buffer) + length)
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

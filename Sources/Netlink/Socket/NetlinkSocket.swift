import CNetlink
#if canImport(Glibc)
import Glibc
#endif

/// A netlink socket of one family (route, netfilter), bound to the namespace it was opened in.
/// Every exchange is a batch: one or many requests sent in one datagram, their answers read in one
/// walk, and the first error reported with the request that caused it. Single requests, GETs and
/// dumps are batches of one. `RouteSocket` and `NetfilterSocket` give it their family's words.
public final class NetlinkSocket {
    public enum Family: Sendable {
        case route, netfilter

        var number: Int32 { self == .route ? NETLINK_ROUTE : NETLINK_NETFILTER }
        var name: String { self == .route ? "rtnetlink" : "nfnetlink" }
    }

    public let family: Family
    private let socket: OpaquePointer
    private var sequence: UInt32
    private let receiveBuffer: UnsafeMutableRawPointer
    /// Large enough for one dump datagram: the kernel sizes dump chunks after the reader's buffer,
    /// capped at 32 KiB, and a truncated datagram would be an error (ENOSPC from libmnl).
    private let receiveCapacity = 65536
    /// Where this socket's requests are laid out (sockets are not shared between threads, so
    /// neither is this).
    private let scratch: EncodingScratch

    /// Whether the kernel honours filters in GET dump headers (NETLINK_GET_STRICT_CHK, Linux 4.20+).
    let filtersDumps: Bool

    /// Netlink messages this process has sent, over every socket: lets tests and benchmarks see
    /// that an operation's cost does not grow with the number of containers (logged at debug).
    /// The plugin is single-threaded; the counter is informational only.
    nonisolated(unsafe) public private(set) static var messagesSent = 0

    /// A socket in the calling thread's current namespace.
    public convenience init(_ family: Family) throws {
        let scratch = try EncodingScratch()
        try self.init(family, opened: Self.open(family), scratch: scratch)
    }

    /// A socket inside `namespace`, usable from wherever the thread is afterwards: the thread
    /// enters the namespace only to open it.
    public convenience init(_ family: Family, in namespace: NetworkNamespace) throws {
        let scratch = try EncodingScratch()
        try self.init(family, opened: namespace.run { try Self.open(family) }, scratch: scratch)
    }

    private init(_ family: Family, opened: (socket: OpaquePointer, strict: Bool), scratch: EncodingScratch) {
        self.family = family
        self.scratch = scratch
        socket = opened.socket
        filtersDumps = opened.strict
        var seed = SystemRandomNumberGenerator()
        sequence = UInt32.random(in: 1...UInt32.max / 2, using: &seed)
        receiveBuffer = .allocate(byteCount: receiveCapacity, alignment: 8)
    }

    private static func open(_ family: Family) throws -> (socket: OpaquePointer, strict: Bool) {
        // Close-on-exec: the plugin runs delegated IPAM plugins, which must not inherit the socket.
        guard let socket = mnl_socket_open2(family.number, Int32(SOCK_CLOEXEC.rawValue)) else {
            throw SystemError(operation: "open \(family.name) socket", errno: errno)
        }
        guard mnl_socket_bind(socket, 0, pid_t(MNL_SOCKET_AUTOPID)) == 0 else {
            let code = errno
            mnl_socket_close(socket)
            throw SystemError(operation: "bind \(family.name) socket", errno: code)
        }
        let fd = mnl_socket_get_fd(socket)
        func enable(_ option: Int32) -> Bool {
            var on: Int32 = 1
            return setsockopt(fd, SOL_NETLINK, option, &on, socklen_t(MemoryLayout<Int32>.size)) == 0
        }
        // The kernel's explanation with errors (extended ACK), without the echoed request (capped).
        _ = enable(NETLINK_EXT_ACK)
        _ = enable(NETLINK_CAP_ACK)
        // Strict checking lets dumps be filtered in the kernel (addresses of one link, ports of one
        // bridge), so they do not grow with the number of containers on the host.
        let strict = family == .route && enable(NETLINK_GET_STRICT_CHK)
        return (socket, strict)
    }

    deinit {
        mnl_socket_close(socket)
        receiveBuffer.deallocate()
    }

    // MARK: Exchanges

    /// A new, empty batch whose sequence numbers follow this socket's.
    public func batch() -> NetlinkBatch {
        NetlinkBatch(firstSequence: sequence &+ 1, scratch: scratch)
    }


    /// What to read after sending.
    enum Collect { case untilAcknowledged, one, untilDone }

    /// A change request acknowledged by the kernel (NLM_F_ACK); throws the kernel's error. Returns
    /// what the kernel sent before the ACK (the new object, when NLM_F_ECHO was asked for).
    @discardableResult
    func execute(_ operation: @autoclosure @escaping () -> String, type: Int32, flags: Int32 = 0,
                 build: (Request) -> Void) throws -> [NetlinkMessage] {
        let batch = batch()
        try batch.add(operation(), type: type, flags: flags | NLM_F_ACK, build: build)
        return try exchange(batch, collect: .untilAcknowledged).messages
    }

    /// A single GET; nil when the object does not exist.
    func fetch(_ operation: @autoclosure @escaping () -> String, type: Int32, build: (Request) -> Void) throws -> NetlinkMessage? {
        let batch = batch()
        try batch.add(operation(), type: type, flags: 0, build: build)
        do {
            return try exchange(batch, collect: .one).messages.first
        } catch let error as NetlinkError where error.isNotFound {
            return nil
        }
    }

    /// A dump: every object of the kind, across as many datagrams as the kernel needs.
    func dump(_ operation: @autoclosure @escaping () -> String, type: Int32, flags: Int32 = 0,
              build: (Request) -> Void) throws -> [NetlinkMessage] {
        // A dump that raced with a change is flagged NLM_F_DUMP_INTR and may have missed or
        // doubled objects (other plugin runs change links concurrently): read it again. After a
        // few tries the last answer is used, as iproute2 does.
        var attempts = 0
        while true {
            let batch = batch()
            try batch.add(operation(), type: type, flags: NLM_F_DUMP | flags, build: build)
            let answer = try exchange(batch, collect: .untilDone)
            attempts += 1
            if !answer.interrupted || attempts == 4 { return answer.messages }
        }
    }

    /// Send every message of `batch` in one datagram and read the answers in one walk: every
    /// acknowledged request's ACK, or the first error, reported with the request that caused it.
    /// Returns the non-ACK messages the kernel sent (echoes).
    @discardableResult
    public func send(_ batch: NetlinkBatch) throws -> [NetlinkMessage] {
        try exchange(batch, collect: .untilAcknowledged).messages
    }

    func exchange(_ batch: NetlinkBatch, collect: Collect) throws -> (messages: [NetlinkMessage], interrupted: Bool) {
        guard !batch.entries.isEmpty else { return ([], false) }
        precondition(batch.firstSequence == sequence &+ 1, "a batch is sent once, on the socket that made it")
        sequence = batch.lastSequence
        let sent = batch.bytes.withUnsafeBytes { mnl_socket_sendto(socket, $0.baseAddress, $0.count) }
        guard sent >= 0 else {
            throw NetlinkError(operation: batch.entries[0].operation(), errno: errno)
        }
        Self.messagesSent += batch.entries.count

        var pending = Set(batch.entries.filter(\.acknowledged).map(\.sequence))
        var messages: [NetlinkMessage] = []
        var interrupted = false
        var firstError: NetlinkError?
        while true {
            // Every answer to a batch is queued while the kernel handles the datagram, so once an
            // error is known the rest is drained without waiting (a failed batch may not ACK the rest).
            let count = firstError == nil
                ? mnl_socket_recvfrom(socket, receiveBuffer, receiveCapacity)
                : recv(mnl_socket_get_fd(socket), receiveBuffer, receiveCapacity, Int32(MSG_DONTWAIT))
            if count < 0 {
                if errno == EINTR { continue }
                if let firstError, errno == EAGAIN || errno == EWOULDBLOCK { throw firstError }
                throw NetlinkError(operation: batch.entries[0].operation(), errno: errno)
            }
            // Replies to earlier requests that were abandoned on an error carry older sequence
            // numbers: skip them.
            let bytes = Array(UnsafeRawBufferPointer(start: receiveBuffer, count: count))
            for message in NetlinkMessage.split(bytes) {
                guard let operation = batch.operation(for: message.sequence) else { continue }
                if Int32(message.flags) & NLM_F_DUMP_INTR != 0 { interrupted = true }
                switch Int32(message.type) {
                case NLMSG_ERROR, NLMSG_DONE:
                    if let error = Self.error(in: message, operation: operation) {
                        // A lone request has nothing more to answer: no drain.
                        if batch.entries.count == 1 { throw error }
                        if firstError == nil { firstError = error }
                    } else if collect != .untilAcknowledged {
                        return (messages, interrupted)
                    }
                    pending.remove(message.sequence)
                case NLMSG_NOOP:
                    continue
                default:
                    messages.append(message)
                    if collect == .one, firstError == nil { return (messages, interrupted) }
                }
            }
            if firstError == nil, collect == .untilAcknowledged, pending.isEmpty { return (messages, interrupted) }
        }
    }

    /// The error an NLMSG_ERROR (or a failed dump's NLMSG_DONE) reports; nil for an ACK.
    static func error(in message: NetlinkMessage, operation: () -> String) -> NetlinkError? {
        guard message.body.count >= 4 else { return NetlinkError(operation: operation(), errno: EIO) }
        let code = Int32(bitPattern: message.body.loadLittleEndianU32(at: 0))
        guard code < 0 else { return nil }
        return NetlinkError(operation: operation(), errno: -code, kernelMessage: extendedMessage(message))
    }

    /// The kernel's text from an extended ACK (NLMSGERR_ATTR_MSG), when present.
    static func extendedMessage(_ message: NetlinkMessage) -> String? {
        guard Int32(message.flags) & NLM_F_ACK_TLVS != 0 else { return nil }
        // NLMSG_DONE: the TLVs follow the error code. NLMSG_ERROR: they follow the error code and
        // the echoed request, which is only its header when capped (NETLINK_CAP_ACK).
        var offset = 4
        if Int32(message.type) == NLMSG_ERROR {
            guard message.body.count >= 4 + NetlinkMessage.headerLength else { return nil }
            if Int32(message.flags) & NLM_F_CAPPED != 0 {
                offset += NetlinkMessage.headerLength
            } else {
                offset += (Int(message.body.loadLittleEndianU32(at: 4)) + 3) & ~3
            }
        }
        guard offset <= message.body.count else { return nil }
        return Attributes(message.body.dropFirst(offset)).string(NLMSGERR_ATTR_MSG.rawValue)
    }
}

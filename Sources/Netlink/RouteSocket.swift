import CNetlink
#if canImport(Glibc)
import Glibc
#endif

/// An rtnetlink socket bound to the namespace it was opened in. One per namespace, reused for
/// every request: a socket opened inside a container keeps talking to that container's kernel
/// state after the thread has switched back to the host.
public final class RouteSocket {
    private let socket: OpaquePointer
    private var sequence: UInt32
    private let sendBuffer: UnsafeMutableRawPointer
    private let sendCapacity: Int
    private let receiveBuffer: UnsafeMutableRawPointer
    /// Large enough for one dump datagram: the kernel sizes dump chunks after the reader's buffer,
    /// capped at 32 KiB, and a truncated datagram would be an error (ENOSPC from libmnl).
    private let receiveCapacity = 65536
    /// Whether the kernel honours filters in GET dump headers (NETLINK_GET_STRICT_CHK, Linux 4.20+).
    /// Results are filtered here as well, so an older kernel only costs a larger dump.
    let filtersDumps: Bool

    /// A socket in the calling thread's current namespace.
    public convenience init() throws {
        try self.init(opened: Self.open())
    }

    /// A socket inside `namespace`, usable from wherever the thread is afterwards: the thread
    /// enters the namespace only to open it.
    public convenience init(in namespace: NetworkNamespace) throws {
        try self.init(opened: namespace.run { try Self.open() })
    }

    /// Same as `init(in:)`.
    public static func inside(_ namespace: NetworkNamespace) throws -> RouteSocket {
        try RouteSocket(in: namespace)
    }

    private init(opened: (socket: OpaquePointer, strict: Bool)) {
        socket = opened.socket
        filtersDumps = opened.strict
        var seed = SystemRandomNumberGenerator()
        sequence = UInt32.random(in: 1...UInt32.max / 2, using: &seed)
        sendCapacity = cnl_socket_buffer_size()
        sendBuffer = .allocate(byteCount: sendCapacity, alignment: 8)
        receiveBuffer = .allocate(byteCount: receiveCapacity, alignment: 8)
    }

    private static func open() throws -> (socket: OpaquePointer, strict: Bool) {
        // Close-on-exec: the plugin runs delegated IPAM plugins, which must not inherit the socket.
        guard let socket = mnl_socket_open2(NETLINK_ROUTE, Int32(SOCK_CLOEXEC.rawValue)) else {
            throw SystemError(operation: "open rtnetlink socket", errno: errno)
        }
        guard mnl_socket_bind(socket, 0, pid_t(MNL_SOCKET_AUTOPID)) == 0 else {
            let code = errno
            mnl_socket_close(socket)
            throw SystemError(operation: "bind rtnetlink socket", errno: code)
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
        let strict = enable(NETLINK_GET_STRICT_CHK)
        return (socket, strict)
    }

    deinit {
        mnl_socket_close(socket)
        sendBuffer.deallocate()
        receiveBuffer.deallocate()
    }

    // MARK: Requests

    /// A change request acknowledged by the kernel (NLM_F_ACK); throws the kernel's error. Returns
    /// what the kernel sent before the ACK (the new object, when NLM_F_ECHO was asked for).
    @discardableResult
    func execute(_ operation: @autoclosure () -> String, type: Int32, flags: Int32 = 0,
                 build: (Request) -> Void) throws -> [NetlinkMessage] {
        try exchange(operation, type: type, flags: flags | NLM_F_ACK, build: build, collect: .untilAcknowledged).messages
    }

    /// A single GET; nil when the object does not exist.
    func fetch(_ operation: @autoclosure () -> String, type: Int32, build: (Request) -> Void) throws -> NetlinkMessage? {
        do {
            return try exchange(operation, type: type, flags: 0, build: build, collect: .one).messages.first
        } catch let error as NetlinkError where error.isNotFound {
            return nil
        }
    }

    /// A dump: every object of the kind, across as many datagrams as the kernel needs.
    func dump(_ operation: @autoclosure () -> String, type: Int32, build: (Request) -> Void) throws -> [NetlinkMessage] {
        // A dump that raced with a change is flagged NLM_F_DUMP_INTR and may have missed or
        // doubled objects (other plugin runs change links concurrently): read it again. After a
        // few tries the last answer is used, as iproute2 does.
        var attempts = 0
        while true {
            let answer = try exchange(operation, type: type, flags: NLM_F_DUMP, build: build, collect: .untilDone)
            attempts += 1
            if !answer.interrupted || attempts == 4 { return answer.messages }
        }
    }

    private enum Collect { case untilAcknowledged, one, untilDone }

    private func exchange(_ operation: () -> String, type: Int32, flags: Int32, build: (Request) -> Void,
                          collect: Collect) throws -> (messages: [NetlinkMessage], interrupted: Bool) {
        sequence &+= 1
        guard let header = Request.render(into: sendBuffer, capacity: sendCapacity, type: type, flags: flags,
                                          sequence: sequence, build: build) else {
            throw NetlinkError(operation: operation(), errno: EMSGSIZE,
                               kernelMessage: "request does not fit in \(sendCapacity) bytes")
        }
        guard mnl_socket_sendto(socket, header, Int(header.pointee.nlmsg_len)) >= 0 else {
            throw NetlinkError(operation: operation(), errno: errno)
        }

        var messages: [NetlinkMessage] = []
        var interrupted = false
        while true {
            let count = mnl_socket_recvfrom(socket, receiveBuffer, receiveCapacity)
            if count < 0 {
                if errno == EINTR { continue }
                throw NetlinkError(operation: operation(), errno: errno)
            }
            // Replies to earlier requests that were abandoned on an error carry older sequence
            // numbers: skip them.
            let bytes = Array(UnsafeRawBufferPointer(start: receiveBuffer, count: count))
            for message in NetlinkMessage.split(bytes) where message.sequence == sequence {
                if Int32(message.flags) & NLM_F_DUMP_INTR != 0 { interrupted = true }
                switch Int32(message.type) {
                case NLMSG_ERROR:
                    if let error = Self.error(in: message, operation: operation) { throw error }
                    return (messages, interrupted)
                case NLMSG_DONE:
                    if let error = Self.error(in: message, operation: operation) { throw error }
                    return (messages, interrupted)
                case NLMSG_NOOP:
                    continue
                default:
                    messages.append(message)
                    if collect == .one { return (messages, interrupted) }
                }
            }
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

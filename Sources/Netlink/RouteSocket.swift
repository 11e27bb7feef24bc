import CNetlink
#if canImport(Glibc)
import Glibc
#endif

/// An rtnetlink socket bound to the namespace it was opened in. One per namespace, reused for
/// every request: a socket opened inside a container keeps talking to that container's kernel
/// state after the thread has switched back to the host.
public final class RouteSocket {
    private let socket: OpaquePointer
    private let portID: UInt32
    private var sequence: UInt32
    private let sendBuffer: UnsafeMutableRawPointer
    private let sendCapacity: Int
    private let receiveBuffer: UnsafeMutableRawPointer
    /// Large enough for one dump datagram (the kernel fills up to 32 KiB per read).
    private let receiveCapacity = 65536

    /// A socket in the calling thread's current namespace.
    public init() throws {
        guard let socket = mnl_socket_open(NETLINK_ROUTE) else {
            throw SystemError(operation: "open rtnetlink socket", errno: errno)
        }
        guard mnl_socket_bind(socket, 0, pid_t(MNL_SOCKET_AUTOPID)) == 0 else {
            let code = errno
            mnl_socket_close(socket)
            throw SystemError(operation: "bind rtnetlink socket", errno: code)
        }
        // Ask for the kernel's explanation with errors, without the echoed request.
        var on: Int32 = 1
        let fd = mnl_socket_get_fd(socket)
        _ = setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &on, socklen_t(MemoryLayout<Int32>.size))
        _ = setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &on, socklen_t(MemoryLayout<Int32>.size))
        self.socket = socket
        portID = mnl_socket_get_portid(socket)
        var seed = SystemRandomNumberGenerator()
        sequence = UInt32.random(in: 1...UInt32.max / 2, using: &seed)
        sendCapacity = cnl_socket_buffer_size()
        sendBuffer = .allocate(byteCount: sendCapacity, alignment: 8)
        receiveBuffer = .allocate(byteCount: receiveCapacity, alignment: 8)
    }

    /// A socket inside `namespace`, usable from wherever the thread is afterwards.
    public static func inside(_ namespace: NetworkNamespace) throws -> RouteSocket {
        try namespace.run { try RouteSocket() }
    }

    deinit {
        mnl_socket_close(socket)
        sendBuffer.deallocate()
        receiveBuffer.deallocate()
    }

    // MARK: Requests

    /// A change request acknowledged by the kernel (NLM_F_ACK); throws the kernel's error.
    func execute(_ operation: @autoclosure () -> String, type: Int32, flags: Int32 = 0, build: (Request) -> Void) throws {
        _ = try exchange(operation, type: type, flags: flags | NLM_F_ACK, build: build, collect: .acknowledgement)
    }

    /// A single GET; nil when the object does not exist.
    func fetch(_ operation: @autoclosure () -> String, type: Int32, build: (Request) -> Void) throws -> NetlinkMessage? {
        do {
            return try exchange(operation, type: type, flags: 0, build: build, collect: .one).first
        } catch let error as NetlinkError where error.isNotFound {
            return nil
        }
    }

    /// A dump: every object of the kind, across as many datagrams as the kernel needs.
    func dump(_ operation: @autoclosure () -> String, type: Int32, build: (Request) -> Void) throws -> [NetlinkMessage] {
        try exchange(operation, type: type, flags: NLM_F_DUMP, build: build, collect: .all)
    }

    private enum Collect { case acknowledgement, one, all }

    private func exchange(_ operation: () -> String, type: Int32, flags: Int32, build: (Request) -> Void,
                          collect: Collect) throws -> [NetlinkMessage] {
        sequence &+= 1
        let header = Request.render(into: sendBuffer, capacity: sendCapacity, type: type, flags: flags,
                                    sequence: sequence, build: build)
        guard mnl_socket_sendto(socket, header, Int(header.pointee.nlmsg_len)) >= 0 else {
            throw NetlinkError(operation: operation(), errno: errno)
        }

        var messages: [NetlinkMessage] = []
        while true {
            let count = mnl_socket_recvfrom(socket, receiveBuffer, receiveCapacity)
            if count < 0 {
                if errno == EINTR { continue }
                throw NetlinkError(operation: operation(), errno: errno)
            }
            let bytes = Array(UnsafeRawBufferPointer(start: receiveBuffer, count: count))
            for message in NetlinkMessage.split(bytes) where message.sequence == sequence {
                switch Int32(message.type) {
                case NLMSG_ERROR:
                    let code = message.body.count >= 4 ? Int32(bitPattern: message.body.loadLittleEndianU32(at: 0)) : -EIO
                    if code != 0 {
                        throw NetlinkError(operation: operation(), errno: -code, kernelMessage: Self.extendedMessage(message))
                    }
                    return messages
                case NLMSG_DONE:
                    // A dump that failed part-way reports the error in its DONE message.
                    if message.body.count >= 4, case let code = Int32(bitPattern: message.body.loadLittleEndianU32(at: 0)), code < 0 {
                        throw NetlinkError(operation: operation(), errno: -code)
                    }
                    return messages
                case NLMSG_NOOP:
                    continue
                default:
                    messages.append(message)
                    if collect == .one { return messages }
                }
            }
        }
    }

    /// The kernel's text from an extended ACK (NLMSGERR_ATTR_MSG), when present.
    private static func extendedMessage(_ message: NetlinkMessage) -> String? {
        guard Int32(message.flags) & NLM_F_ACK_TLVS != 0 else { return nil }
        // nlmsgerr is the error code and the echoed request header (capped: no payload).
        let attributes = Attributes(message.body.dropFirst(4 + NetlinkMessage.headerLength))
        return attributes.string(NLMSGERR_ATTR_MSG.rawValue)
    }
}

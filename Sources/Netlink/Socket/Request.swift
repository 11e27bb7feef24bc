import CNetlink
#if canImport(Glibc)
import Glibc
#endif

/// A request being built in the socket's send buffer with libmnl. Only valid inside the closure
/// that a `NetlinkBatch` hands it to.
public struct Request {
    let header: UnsafeMutablePointer<nlmsghdr>
    let capacity: Int
    let overflow: Overflow

    /// Set when something did not fit: the request is then refused rather than sent cut short
    /// (libmnl's `_check` variants leave the buffer untouched instead of writing past it).
    final class Overflow { var happened = false }

    /// Lay out one request (header, then whatever `build` adds) at the start of `buffer`, which
    /// must be zero (libmnl leaves attributes' padding as it finds it); nil when it does not fit
    /// in `capacity` bytes.
    static func render(into buffer: UnsafeMutableRawPointer, capacity: Int, type: Int32, flags: Int32,
                       sequence: UInt32, build: (Request) -> Void) -> UnsafeMutablePointer<nlmsghdr>? {
        let header = mnl_nlmsg_put_header(buffer)!
        header.pointee.nlmsg_type = UInt16(truncatingIfNeeded: type)
        header.pointee.nlmsg_flags = UInt16(truncatingIfNeeded: NLM_F_REQUEST | flags)
        header.pointee.nlmsg_seq = sequence
        let request = Request(header: header, capacity: capacity, overflow: Overflow())
        build(request)
        return request.overflow.happened ? nil : header
    }

    /// The bytes a request would be sent as: lets tests pin encodings without a kernel.
    public static func bytes(type: Int32, flags: Int32 = 0, build: (Request) -> Void) -> [UInt8] {
        let capacity = cnl_socket_buffer_size()
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 8)
        defer { buffer.deallocate() }
        buffer.initializeMemory(as: UInt8.self, repeating: 0, count: capacity)
        guard let header = render(into: buffer, capacity: capacity, type: type, flags: flags, sequence: 1, build: build) else {
            return []
        }
        return Array(UnsafeRawBufferPointer(start: buffer, count: Int(header.pointee.nlmsg_len)))
    }

    /// Append a fixed family header (ifinfomsg, ifaddrmsg, rtmsg…) right after the netlink header,
    /// or raw bytes inside a nest (veth's peer carries its own ifinfomsg).
    func append<T>(_ value: T) {
        let size = MemoryLayout<T>.size
        guard Int(header.pointee.nlmsg_len) + ((size + 3) & ~3) <= capacity else {
            overflow.happened = true
            return
        }
        let space = mnl_nlmsg_put_extra_header(header, size)!
        space.storeBytes(of: value, as: T.self)
    }

    private func checked(_ fits: Bool) {
        if !fits { overflow.happened = true }
    }

    func put(_ type: some BinaryInteger, u8 value: UInt8) {
        checked(mnl_attr_put_u8_check(header, capacity, UInt16(truncatingIfNeeded: type), value))
    }

    func put(_ type: some BinaryInteger, u16 value: UInt16) {
        checked(mnl_attr_put_u16_check(header, capacity, UInt16(truncatingIfNeeded: type), value))
    }

    func put(_ type: some BinaryInteger, u32 value: UInt32) {
        checked(mnl_attr_put_u32_check(header, capacity, UInt16(truncatingIfNeeded: type), value))
    }

    func put(_ type: some BinaryInteger, string value: String) {
        checked(mnl_attr_put_strz_check(header, capacity, UInt16(truncatingIfNeeded: type), value))
    }

    func put(_ type: some BinaryInteger, bytes: [UInt8]) {
        bytes.withUnsafeBytes {
            checked(mnl_attr_put_check(header, capacity, UInt16(truncatingIfNeeded: type), $0.count, $0.baseAddress))
        }
    }

    func put<T>(_ type: some BinaryInteger, value: T) {
        withUnsafeBytes(of: value) {
            checked(mnl_attr_put_check(header, capacity, UInt16(truncatingIfNeeded: type), $0.count, $0.baseAddress))
        }
    }

    /// A nested attribute (libmnl sets NLA_F_NESTED, which the bridge code requires).
    func nest(_ type: some BinaryInteger, _ body: () -> Void) {
        guard let start = mnl_attr_nest_start_check(header, capacity, UInt16(truncatingIfNeeded: type)) else {
            overflow.happened = true
            return
        }
        body()
        mnl_attr_nest_end(header, start)
    }
}

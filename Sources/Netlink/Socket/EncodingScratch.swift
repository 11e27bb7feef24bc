#if canImport(Glibc)
import Glibc
#endif

/// Where requests are laid out before they join a batch: one region per socket, all zero between
/// requests. libmnl and libnftnl write only what a message holds but leave its attributes' padding
/// as they find it, so they need a zeroed buffer; keeping one zeroed (each message clears what it
/// used) costs a few hundred bytes per message, where a fresh buffer per message (8 KiB, or 128 KiB
/// for libnftnl's, which glibc serves from the heap once a larger block was freed) was cleared and
/// faulted in whole: 0.2 M instructions and 30 page faults of an ADD.
/// Anonymous memory is zero when mapped, and only the pages a message reaches are ever faulted in.
final class EncodingScratch {
    /// libnftnl writes without bounds checks: callers keep each message small (a few objects, a
    /// bounded number of elements), far below this.
    static let capacity = 1 << 17

    let base: UnsafeMutableRawPointer

    /// Made with its socket, so that a refused mapping fails the socket's creation like any other
    /// of its system calls (the fault tier injects it).
    init() throws {
        guard let mapped = mmap(nil, Self.capacity, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
              mapped != MAP_FAILED else {
            throw SystemError(operation: "map \(Self.capacity) bytes for netlink requests", errno: errno)
        }
        base = mapped
    }

    deinit {
        munmap(base, Self.capacity)
    }

    /// After a message at the start of the region was copied out: zero its `length` bytes again
    /// (rounded up to netlink's 4-byte alignment).
    func clear(_ length: Int) {
        memset(base, 0, min((length + 3) & ~3, Self.capacity))
    }
}

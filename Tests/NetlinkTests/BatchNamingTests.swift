import CNetlink
import Glibc
@testable import Netlink
import Testing

/// A batch names its requests only when the kernel refuses one: the names are built then, from
/// the sequence number the kernel's answer carries. Pure: no socket, no root.
@Suite("Netlink batch: naming requests")
struct BatchNamingTests {
    final class Counter: @unchecked Sendable { var spelled = 0 }

    @Test("names are spelled only when asked for, each for its own sequence number, also across wrap-around")
    func lazyNames() throws {
        for first in [UInt32(1), UInt32.max - 1] {
            let batch = NetlinkBatch(firstSequence: first, scratch: try EncodingScratch())
            let counter = Counter()
            func name(_ index: Int) -> String {
                counter.spelled += 1
                return "request \(index)"
            }
            for index in 0..<4 {
                batch.addEncoded(name(index), acknowledged: true) { buffer, sequence in
                    let header = UnsafeMutableRawPointer(buffer).assumingMemoryBound(to: nlmsghdr.self)
                    header.pointee.nlmsg_len = UInt32(MemoryLayout<nlmsghdr>.size)
                    header.pointee.nlmsg_seq = sequence
                    return header
                }
            }
            #expect(counter.spelled == 0)
            for index in 0..<4 {
                let operation = try #require(batch.operation(for: first &+ UInt32(index)))
                #expect(operation() == "request \(index)")
            }
            #expect(counter.spelled == 4)
            #expect(batch.operation(for: first &+ 4) == nil)
            #expect(batch.operation(for: first &- 1) == nil)
            #expect(batch.lastSequence == first &+ 3)
        }
    }
}

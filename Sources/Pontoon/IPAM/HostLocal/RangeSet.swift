import NetAddress

/// A range after validation: every bound known, all inside the subnet, start <= end.
struct AllocationRange: Hashable, Sendable, CustomStringConvertible {
    var subnet: IPNetwork
    var start: IPAddress
    var end: IPAddress
    var gateway: IPAddress

    /// Allocatable here: inside the subnet and between start and end (the gateway included; the
    /// allocator skips it).
    func contains(_ address: IPAddress) -> Bool {
        subnet.contains(address) && start <= address && address <= end
    }

    func overlaps(_ other: AllocationRange) -> Bool {
        start.family == other.start.family && start <= other.end && other.start <= end
    }

    /// How many addresses can be handed out (the gateway excluded), saturating at UInt64.max.
    var capacity: UInt64 {
        let size: UInt64
        switch (start, end) {
        case (.v4(let a), .v4(let b)):
            size = UInt64(b.value - a.value) + 1
        case (.v6(let a), .v6(let b)):
            let (low, borrow) = b.low.subtractingReportingOverflow(a.low)
            let high = b.high - a.high - (borrow ? 1 : 0)
            size = high > 0 || low == .max ? .max : low + 1
        default:
            size = 0
        }
        return contains(gateway) && size < .max ? size - 1 : size
    }

    /// `start-end`, as the reference names a range in its messages.
    var description: String { "\(start)-\(end)" }

    var model: AddressRange { AddressRange(subnet: subnet, rangeStart: start, rangeEnd: end, gateway: gateway) }
}

/// The ranges one address is allocated from (a host-local `ranges` entry): one family, no overlap.
struct AllocationRangeSet: Sendable, CustomStringConvertible {
    /// Position in the config; names `last_reserved_ip.<index>`.
    var index: Int
    var ranges: [AllocationRange]

    var family: IPFamily { ranges[0].start.family }

    func range(containing address: IPAddress) -> AllocationRange? {
        ranges.first { $0.contains(address) }
    }

    func contains(_ address: IPAddress) -> Bool { range(containing: address) != nil }

    var capacity: UInt64 {
        ranges.reduce(0) { total, range in
            let (sum, overflow) = total.addingReportingOverflow(range.capacity)
            return overflow ? .max : sum
        }
    }

    /// The ranges joined by `,`, as the reference prints a range set.
    var description: String { ranges.map(\.description).joined(separator: ",") }

    /// Every allocatable address once, round-robin: starting just after `lastReserved` when that lies
    /// in the set (so a crash-looping container does not get the same address back until the whole
    /// set has been used), else at the first range's start; walking the ranges in order and wrapping
    /// around; skipping each range's gateway.
    func candidates(after lastReserved: IPAddress?) -> Candidates {
        Candidates(set: self, lastReserved: lastReserved)
    }

    struct Candidates: Sequence, IteratorProtocol {
        private let ranges: [AllocationRange]
        private var position: (range: Int, address: IPAddress)
        private let first: (range: Int, address: IPAddress)
        private var started = false

        init(set: AllocationRangeSet, lastReserved: IPAddress?) {
            ranges = set.ranges
            if let last = lastReserved, let index = set.ranges.firstIndex(where: { $0.contains(last) }) {
                let ranges = set.ranges
                first = Self.successor(of: (index, last), in: ranges)
            } else {
                first = (0, set.ranges[0].start)
            }
            position = first
        }

        private static func successor(of position: (range: Int, address: IPAddress),
                                      in ranges: [AllocationRange]) -> (range: Int, address: IPAddress) {
            let range = ranges[position.range]
            if position.address < range.end, let next = position.address.next {
                return (position.range, next)
            }
            let index = (position.range + 1) % ranges.count
            return (index, ranges[index].start)
        }

        mutating func next() -> IPAddress? {
            while true {
                if started {
                    position = Self.successor(of: position, in: ranges)
                    // Back where we began: every address has been offered once.
                    if position.range == first.range, position.address == first.address { return nil }
                }
                started = true
                if position.address != ranges[position.range].gateway { return position.address }
            }
        }
    }
}

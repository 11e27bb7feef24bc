/// An IPv4 or IPv6 address.
///
/// Text forms follow what the reference plugins (Go's `net.IP`) read and write, because the
/// host-local lease store names its files after `ip.String()` and both must agree byte for byte.
public enum IPAddress: Hashable, Comparable, Sendable {
    case v4(IPv4Address)
    case v6(IPv6Address)

    public var family: IPFamily {
        switch self {
        case .v4: .v4
        case .v6: .v6
        }
    }

    /// Network byte order: 4 bytes for IPv4, 16 for IPv6.
    public var bytes: [UInt8] {
        switch self {
        case .v4(let a): a.bytes
        case .v6(let a): a.bytes
        }
    }

    public init?(bytes: [UInt8]) {
        switch bytes.count {
        case 4: self = .v4(IPv4Address(bytes: bytes))
        case 16: self = .v6(IPv6Address(bytes: bytes))
        default: return nil
        }
    }

    /// The address `offset` places after this one, or nil when that leaves the family's space.
    public func advanced(by offset: Int) -> IPAddress? {
        switch self {
        case .v4(let a): a.advanced(by: offset).map(IPAddress.v4)
        case .v6(let a): a.advanced(by: offset).map(IPAddress.v6)
        }
    }

    public var next: IPAddress? { advanced(by: 1) }
    public var previous: IPAddress? { advanced(by: -1) }

    public static func < (lhs: IPAddress, rhs: IPAddress) -> Bool {
        switch (lhs, rhs) {
        case (.v4(let a), .v4(let b)): a < b
        case (.v6(let a), .v6(let b)): a < b
        case (.v4, .v6): true
        case (.v6, .v4): false
        }
    }
}

public enum IPFamily: Sendable, Hashable, CaseIterable {
    case v4, v6

    /// Address length in bits.
    public var bitWidth: Int { self == .v4 ? 32 : 128 }
    /// The `"4"`/`"6"` spelling used by CNI results before 1.0.0.
    public var versionString: String { self == .v4 ? "4" : "6" }
}

extension IPAddress: LosslessStringConvertible {
    public init?(_ text: String) {
        if let a = IPv4Address(text) {
            self = .v4(a)
        } else if let a = IPv6Address(text) {
            self = .v6(a)
        } else {
            return nil
        }
    }

    public var description: String {
        switch self {
        case .v4(let a): a.description
        case .v6(let a): a.description
        }
    }
}

public struct IPv4Address: Hashable, Comparable, Sendable {
    public var value: UInt32

    public init(_ value: UInt32) { self.value = value }

    public init(bytes: [UInt8]) {
        precondition(bytes.count == 4)
        value = bytes.reduce(0) { $0 << 8 | UInt32($1) }
    }

    public var bytes: [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)]
    }

    public func advanced(by offset: Int) -> IPv4Address? {
        let result = Int64(value) + Int64(offset)
        guard result >= 0, result <= Int64(UInt32.max) else { return nil }
        return IPv4Address(UInt32(result))
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.value < rhs.value }
}

extension IPv4Address: LosslessStringConvertible {
    /// Strict dotted quad: four decimal parts 0...255 without leading zeros, as Go accepts. Read
    /// over the UTF-8 bytes: splitting Characters and asking Unicode which are digits cost 15 K
    /// instructions per address, and a DEL reads a dozen.
    public init?(_ text: String) {
        var value: UInt32 = 0, part: UInt32 = 0, digits = 0, dots = 0
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "."):
                guard digits > 0, dots < 3 else { return nil }
                value = value << 8 | part
                part = 0
                digits = 0
                dots += 1
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                // A second digit after a leading 0 ("01") is refused, as is a fourth one.
                guard digits == 0 || part != 0, digits < 3 else { return nil }
                part = part * 10 + UInt32(byte - UInt8(ascii: "0"))
                digits += 1
                guard part <= 255 else { return nil }
            default:
                return nil
            }
        }
        guard digits > 0, dots == 3 else { return nil }
        self.value = value << 8 | part
    }

    /// Dotted quad, written digit by digit into the string's own (inline) storage: interpolating
    /// four integers cost ~2 K instructions an address, and an ADD writes ~30 (lease names,
    /// records, answers); `joined(separator:)`'s unspecialized first use costs a conformance scan
    /// of the whole binary (~0.1 M instructions).
    public var description: String {
        String(unsafeUninitializedCapacity: 15) { text in
            var count = 0
            Self.write(UInt8(truncatingIfNeeded: value >> 24), into: text, at: &count)
            for shift: UInt32 in stride(from: 16, through: 0, by: -8) {
                text[count] = UInt8(ascii: ".")
                count += 1
                Self.write(UInt8(truncatingIfNeeded: value >> shift), into: text, at: &count)
            }
            return count
        }
    }

    private static func write(_ part: UInt8, into text: UnsafeMutableBufferPointer<UInt8>, at count: inout Int) {
        if part >= 100 { text[count] = UInt8(ascii: "0") + part / 100; count += 1 }
        if part >= 10 { text[count] = UInt8(ascii: "0") + part / 10 % 10; count += 1 }
        text[count] = UInt8(ascii: "0") + part % 10
        count += 1
    }
}

public struct IPv6Address: Hashable, Comparable, Sendable {
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    public init(bytes: [UInt8]) {
        precondition(bytes.count == 16)
        high = bytes[0..<8].reduce(0) { $0 << 8 | UInt64($1) }
        low = bytes[8..<16].reduce(0) { $0 << 8 | UInt64($1) }
    }

    public var bytes: [UInt8] {
        (0..<8).map { UInt8(high >> (56 - 8 * UInt64($0)) & 0xff) }
            + (0..<8).map { UInt8(low >> (56 - 8 * UInt64($0)) & 0xff) }
    }

    /// The eight 16-bit groups.
    var groups: [UInt16] {
        let b = bytes
        return (0..<8).map { UInt16(b[2 * $0]) << 8 | UInt16(b[2 * $0 + 1]) }
    }

    init(groups: [UInt16]) {
        self.init(bytes: groups.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xff)] })
    }

    public func advanced(by offset: Int) -> IPv6Address? {
        if offset >= 0 {
            let (newLow, carry) = low.addingReportingOverflow(UInt64(offset))
            if carry {
                guard high < UInt64.max else { return nil }
                return IPv6Address(high: high + 1, low: newLow)
            }
            return IPv6Address(high: high, low: newLow)
        }
        let (newLow, borrow) = low.subtractingReportingOverflow(UInt64(offset.magnitude))
        if borrow {
            guard high > 0 else { return nil }
            return IPv6Address(high: high - 1, low: newLow)
        }
        return IPv6Address(high: high, low: newLow)
    }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.high, lhs.low) < (rhs.high, rhs.low)
    }
}

extension IPv6Address: LosslessStringConvertible {
    /// RFC 4291 text: hex groups, at most one `::`, optionally a dotted quad in the last 32 bits.
    public init?(_ text: String) {
        guard text.contains(":") else { return nil }
        var head: [UInt16] = []
        var tail: [UInt16] = []
        var sawGap = false
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        sawGap = halves.count == 2

        func parse(_ part: String, allowIPv4Tail: Bool) -> [UInt16]? {
            if part.isEmpty { return [] }
            var groups: [UInt16] = []
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
            for (i, piece) in pieces.enumerated() {
                if i == pieces.count - 1, allowIPv4Tail, piece.contains(".") {
                    guard let v4 = IPv4Address(String(piece)) else { return nil }
                    groups.append(UInt16(v4.value >> 16))
                    groups.append(UInt16(v4.value & 0xffff))
                    continue
                }
                guard (1...4).contains(piece.count), piece.allSatisfy(\.isHexDigit),
                      let group = UInt16(piece, radix: 16) else { return nil }
                groups.append(group)
            }
            return groups
        }

        if sawGap {
            guard let h = parse(halves[0], allowIPv4Tail: false),
                  let t = parse(halves[1], allowIPv4Tail: true),
                  h.count + t.count <= 7 else { return nil }
            head = h
            tail = t
        } else {
            guard let all = parse(text, allowIPv4Tail: true), all.count == 8 else { return nil }
            head = all
        }
        let zeros = [UInt16](repeating: 0, count: 8 - head.count - tail.count)
        self.init(groups: head + zeros + tail)
    }

    /// RFC 5952 form, as Go prints it: lowercase, the longest run (first on ties) of two or more
    /// zero groups shortened to `::`.
    public var description: String {
        let g = groups
        var bestStart = -1, bestLength = 0
        var runStart = -1
        for i in 0...8 {
            if i < 8, g[i] == 0 {
                if runStart < 0 { runStart = i }
            } else if runStart >= 0 {
                if i - runStart > bestLength {
                    bestStart = runStart
                    bestLength = i - runStart
                }
                runStart = -1
            }
        }
        if bestLength < 2 { bestStart = -1 }
        var text = ""
        var i = 0
        while i < 8 {
            if i == bestStart {
                text += "::"
                i += bestLength
                continue
            }
            if !text.isEmpty, !text.hasSuffix(":") { text += ":" }
            text += String(g[i], radix: 16)
            i += 1
        }
        return text
    }
}

extension String {
    /// `split` on a multi-character separator, keeping empty pieces (FoundationEssentials-free).
    func components(separatedBy separator: String) -> [String] {
        var pieces: [String] = []
        var rest = Substring(self)
        while let range = rest.firstRange(of: separator) {
            pieces.append(String(rest[..<range.lowerBound]))
            rest = rest[range.upperBound...]
        }
        pieces.append(String(rest))
        return pieces
    }
}

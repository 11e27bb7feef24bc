/// A number's text read into a Swift type, the way the decoder Pontoon used before (Swift's
/// Foundation) read it, so every value a runtime sent still means the same: the strict JSON shape
/// (no `01`, `1.`, `+1`); an integer type takes plain digits exactly, else the number's nearest
/// double when that is a whole number in range (`1.0`, `1e2`, `1e-400` as 0; not `1.5`), read
/// again digit by digit from 2^53 on; a floating type takes the nearest value, neither overflowing
/// nor underflowing to zero.
enum JSONNumbers {
    private static let twoTo53 = 9_007_199_254_740_992.0

    /// Whether the text has the JSON number shape, and whether it is plain digits.
    private static func shape(_ bytes: [UInt8], _ range: Range<Int>) throws(MalformedJSON) -> Bool {
        var index = range.lowerBound
        func digits() -> Int {
            let start = index
            while index < range.upperBound, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
            return index - start
        }
        if index < range.upperBound, bytes[index] == UInt8(ascii: "-") { index += 1 }
        let first = index
        let whole = digits()
        guard whole > 0, whole == 1 || bytes[first] != UInt8(ascii: "0") else { throw MalformedJSON() }
        var plain = true
        if index < range.upperBound, bytes[index] == UInt8(ascii: ".") {
            index += 1
            plain = false
            guard digits() > 0 else { throw MalformedJSON() }
        }
        if index < range.upperBound, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            plain = false
            if index < range.upperBound, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard digits() > 0 else { throw MalformedJSON() }
        }
        guard index == range.upperBound else { throw MalformedJSON() }
        return plain
    }

    static func integer<T: FixedWidthInteger>(_ type: T.Type, _ bytes: [UInt8], _ range: Range<Int>) throws(MalformedJSON) -> T {
        let plain = try shape(bytes, range)
        if plain, let value = digitsValue(type, bytes, range, dropping: 0) { return value }
        guard let double = Double(text(bytes, range)), let value = T(exactly: double) else { throw MalformedJSON() }
        if abs(double) < twoTo53 { return value }
        // Beyond 2^53 a double skips whole numbers: the digits themselves, the fraction dropped.
        return try decimalValue(type, bytes, range)
    }

    static func double(_ bytes: [UInt8], _ range: Range<Int>) throws(MalformedJSON) -> Double {
        _ = try shape(bytes, range)
        guard let value = Double(text(bytes, range)), value.isFinite, value != 0 || isZero(bytes, range) else { throw MalformedJSON() }
        return value
    }

    static func float(_ bytes: [UInt8], _ range: Range<Int>) throws(MalformedJSON) -> Float {
        _ = try shape(bytes, range)
        guard let value = Float(text(bytes, range)), value.isFinite, value != 0 || isZero(bytes, range) else { throw MalformedJSON() }
        return value
    }

    private static func text(_ bytes: [UInt8], _ range: Range<Int>) -> Substring {
        Substring(decoding: bytes[range], as: UTF8.self)
    }

    /// No digit other than 0 before the exponent: a true zero, not an underflow.
    private static func isZero(_ bytes: [UInt8], _ range: Range<Int>) -> Bool {
        for byte in bytes[range] {
            if byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") { return true }
            if (UInt8(ascii: "1")...UInt8(ascii: "9")).contains(byte) { return false }
        }
        return true
    }

    /// Optional sign and digits, the last `dropping` of them left out; nil when out of range.
    private static func digitsValue<T: FixedWidthInteger>(_ type: T.Type, _ bytes: [UInt8], _ range: Range<Int>, dropping: Int) -> T? {
        var index = range.lowerBound
        let negative = bytes[index] == UInt8(ascii: "-")
        if negative { index += 1 }
        var value: T = 0
        for byte in bytes[index..<range.upperBound - dropping] {
            let digit = T(byte - UInt8(ascii: "0"))
            let (times, overflow) = value.multipliedReportingOverflow(by: 10)
            let (next, overflow2) = negative ? times.subtractingReportingOverflow(digit) : times.addingReportingOverflow(digit)
            guard !overflow, !overflow2 else { return nil }
            value = next
        }
        return value
    }

    /// The whole part of the number's exact decimal value, in range on both sides of zero.
    private static func decimalValue<T: FixedWidthInteger>(_ type: T.Type, _ bytes: [UInt8], _ range: Range<Int>) throws(MalformedJSON) -> T {
        var mantissa: [UInt8] = []
        var exponent = 0
        var negative = false
        var index = range.lowerBound
        var fraction = false
        while index < range.upperBound {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "-"): negative = true
            case UInt8(ascii: "."): fraction = true
            case UInt8(ascii: "e"), UInt8(ascii: "E"):
                exponent += Int(text(bytes, index + 1..<range.upperBound)) ?? 0
                index = range.upperBound
                continue
            default:
                mantissa.append(byte)
                if fraction { exponent -= 1 }
            }
            index += 1
        }
        if exponent >= 0 {
            mantissa += [UInt8](repeating: UInt8(ascii: "0"), count: exponent)
        } else {
            mantissa.removeLast(min(-exponent, mantissa.count))
        }
        guard let magnitude = digitsValue(UInt64.self, mantissa.isEmpty ? [UInt8(ascii: "0")] : mantissa,
                                          0..<max(mantissa.count, 1), dropping: 0),
              magnitude <= UInt64(T.max) else { throw MalformedJSON() }
        return negative ? 0 - T(magnitude) : T(magnitude)
    }
}

/// A string's bytes between the quotes, escapes undone, read the way the decoder Pontoon used
/// before (Swift's Foundation) read them: the JSON escapes only, a surrogate escape only as half
/// of a pair, no raw control character, and valid UTF-8 (no replacement: a bad byte fails).
enum JSONStrings {
    static func decode(_ bytes: [UInt8], _ range: Range<Int>) throws(MalformedJSON) -> String {
        // Most strings have neither escapes nor controls: validate the bytes as they are.
        var plain = true
        for index in range where bytes[index] == UInt8(ascii: "\\") || bytes[index] < 0x20 {
            plain = false
            break
        }
        if plain {
            // Over contiguous memory, not the slice: the generic path costs 1.3 K instructions a
            // key, and an ADD reads a few hundred keys.
            let text = bytes.withUnsafeBufferPointer { String(validating: UnsafeBufferPointer(rebasing: $0[range]), as: UTF8.self) }
            guard let text else { throw MalformedJSON() }
            return text
        }
        var output: [UInt8] = []
        output.reserveCapacity(range.count)
        var index = range.lowerBound
        while index < range.upperBound {
            let byte = bytes[index]
            guard byte >= 0x20 else { throw MalformedJSON() }
            guard byte == UInt8(ascii: "\\") else {
                output.append(byte)
                index += 1
                continue
            }
            guard index + 1 < range.upperBound else { throw MalformedJSON() }
            index += 2
            switch bytes[index - 1] {
            case UInt8(ascii: "\""): output.append(0x22)
            case UInt8(ascii: "\\"): output.append(0x5C)
            case UInt8(ascii: "/"): output.append(0x2F)
            case UInt8(ascii: "b"): output.append(0x08)
            case UInt8(ascii: "f"): output.append(0x0C)
            case UInt8(ascii: "n"): output.append(0x0A)
            case UInt8(ascii: "r"): output.append(0x0D)
            case UInt8(ascii: "t"): output.append(0x09)
            case UInt8(ascii: "u"):
                let unit = try hex(bytes, at: index, end: range.upperBound)
                index += 4
                var scalar = UInt32(unit)
                if (0xD800...0xDBFF).contains(unit) {
                    // A high surrogate must be followed by an escaped low one.
                    guard index + 1 < range.upperBound, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                        throw MalformedJSON()
                    }
                    let low = try hex(bytes, at: index + 2, end: range.upperBound)
                    guard (0xDC00...0xDFFF).contains(low) else { throw MalformedJSON() }
                    index += 6
                    scalar = 0x10000 + (UInt32(unit - 0xD800) << 10) + UInt32(low - 0xDC00)
                } else if (0xDC00...0xDFFF).contains(unit) {
                    throw MalformedJSON()
                }
                UTF8.encode(Unicode.Scalar(scalar)!) { output.append($0) }
            default:
                throw MalformedJSON()
            }
        }
        // Escapes always give whole characters, so a bad raw byte cannot pair with one.
        guard let text = String(validating: output, as: UTF8.self) else { throw MalformedJSON() }
        return text
    }

    private static func hex(_ bytes: [UInt8], at start: Int, end: Int) throws(MalformedJSON) -> UInt16 {
        guard start + 4 <= end else { throw MalformedJSON() }
        var value: UInt16 = 0
        for byte in bytes[start..<start + 4] {
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw MalformedJSON()
            }
            value = value << 4 | UInt16(digit)
        }
        return value
    }
}

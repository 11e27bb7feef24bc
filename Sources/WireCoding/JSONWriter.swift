/// Writes an `EncodedNode` tree as the encoder Pontoon used before (Swift's Foundation, sorted keys,
/// slashes unescaped) wrote it: compact, keys in UTF-8 byte order, and in strings only `"`, `\` and
/// the control characters escaped (`\n` and friends by name, the rest as `\u00xx`).
struct JSONWriter {
    /// Room for a plugin's answer or record at once (they run to ~1 KiB), not regrown from empty.
    private(set) var output: [UInt8] = { var output: [UInt8] = []; output.reserveCapacity(2048); return output }()
    /// Set when containers nest deeper than the old encoder wrote (it refused 512 levels and the
    /// caller wrote `{}` instead); only a pass-through value as deep as the reader allows gets there.
    private(set) var tooDeep = false
    private var depth = 0
    static let maximumDepth = 511

    mutating func write(_ node: EncodedNode) {
        switch node.kind {
        case .array, .object:
            depth += 1
            defer { depth -= 1 }
            if depth > Self.maximumDepth { tooDeep = true; return }
            writeValue(node)
        default:
            writeValue(node)
        }
    }

    private mutating func writeValue(_ node: EncodedNode) {
        switch node.kind {
        case .empty: output += [0x7B, 0x7D]
        case .literal(let text): output += text.utf8
        case .string(let text): write(text)
        case .array:
            output.append(0x5B)
            for (index, element) in node.elements.enumerated() {
                if index > 0 { output.append(0x2C) }
                write(element)
            }
            output.append(0x5D)
        case .object:
            output.append(0x7B)
            for (index, (key, value)) in Self.keyOrder(node.members).enumerated() {
                if index > 0 { output.append(0x2C) }
                write(key)
                output.append(0x3A)
                write(value)
            }
            output.append(0x7D)
        }
    }

    /// An object's members in the order Foundation's sorted keys gave: by their UTF-8 bytes (not
    /// by `String`'s `<`, which compares canonical forms: the Kelvin sign sorts as "K" there). Of
    /// keys equal as `String`s (set twice, or canonically equivalent), one: the first spelling,
    /// with the last value, as the dictionary kept them.
    static func keyOrder(_ members: [(key: String, node: EncodedNode)]) -> [(key: String, node: EncodedNode)] {
        var unique: [(key: String, node: EncodedNode)] = []
        unique.reserveCapacity(members.count)
        if members.count <= WireMembers.searchedInOrder {
            // Small objects (nearly all): comparing beats hashing every key.
            next: for member in members {
                for index in unique.indices where unique[index].key == member.key {
                    unique[index].node = member.node
                    continue next
                }
                unique.append(member)
            }
        } else {
            var positions: [String: Int] = [:]
            for member in members {
                if let index = positions[member.key] {
                    unique[index].node = member.node
                } else {
                    positions[member.key] = unique.count
                    unique.append(member)
                }
            }
        }
        unique.sort { Self.precedes($0.key, $1.key) }
        return unique
    }

    /// Whether `a`'s UTF-8 bytes sort before `b`'s (compared in place, not through the views).
    private static func precedes(_ a: String, _ b: String) -> Bool {
        a.utf8.withContiguousStorageIfAvailable { a in
            b.utf8.withContiguousStorageIfAvailable { b in a.lexicographicallyPrecedes(b) }
        }.flatMap { $0 } ?? a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    mutating func write(_ text: String) {
        output.append(0x22)
        // Most strings need no escape: copied whole, not appended byte by byte (~800 instructions
        // a string before).
        var text = text
        let plain = text.withUTF8 { bytes in
            guard !bytes.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) else { return false }
            output.append(contentsOf: bytes)
            return true
        }
        if !plain { escape(text) }
        output.append(0x22)
    }

    private mutating func escape(_ text: String) {
        for byte in text.utf8 {
            switch byte {
            case 0x22: output += [0x5C, 0x22]
            case 0x5C: output += [0x5C, 0x5C]
            case 0x08: output += [0x5C, UInt8(ascii: "b")]
            case 0x0C: output += [0x5C, UInt8(ascii: "f")]
            case 0x0A: output += [0x5C, UInt8(ascii: "n")]
            case 0x0D: output += [0x5C, UInt8(ascii: "r")]
            case 0x09: output += [0x5C, UInt8(ascii: "t")]
            case 0..<0x20: output += [0x5C, UInt8(ascii: "u"), 0x30, 0x30, Self.hexDigits[Int(byte >> 4)], Self.hexDigits[Int(byte & 0xF)]]
            default: output.append(byte)
            }
        }
    }
}

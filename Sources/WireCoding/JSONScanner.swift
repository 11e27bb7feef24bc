/// A document's structure, read in one pass. Scalars stay as their raw bytes and are checked
/// only when a type reads them, and an object's keys only when its container is opened: that is
/// what the decoder Pontoon used before (Swift's Foundation) accepted, so a document it took
/// (say, a malformed number under a key nobody reads) is still taken.
indirect enum JSONNode {
    case null
    case bool(Bool)
    /// The number's text, as loose as the structure allows (`1-2`, `01`): checked when read.
    case number(Range<Int>)
    /// The bytes between the quotes, escapes undone only when read.
    case string(Range<Int>)
    case array([JSONNode])
    case object([(key: Range<Int>, value: JSONNode)])

    var kindName: String {
        switch self {
        case .null: "null"
        case .bool: "bool"
        case .number: "number"
        case .string: "a string"
        case .array: "an array"
        case .object: "a dictionary"
        }
    }
}

/// Thrown for any document that is not JSON; `WireJSON` turns it into the one message tests pin.
struct MalformedJSON: Error {}

struct JSONScanner {
    /// Containers nest at most this deep, as before.
    static let maximumDepth = 512

    let bytes: [UInt8]
    private var index = 0
    private var depth = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// The one value of the document, with nothing but whitespace around it.
    static func parse(_ bytes: [UInt8]) throws(MalformedJSON) -> JSONNode {
        var scanner = JSONScanner(bytes)
        scanner.skipSpace()
        let value = try scanner.value()
        scanner.skipSpace()
        guard scanner.index == bytes.count else { throw MalformedJSON() }
        return value
    }

    private mutating func skipSpace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private mutating func value() throws(MalformedJSON) -> JSONNode {
        guard index < bytes.count else { throw MalformedJSON() }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(number())
        default: throw MalformedJSON()
        }
    }

    private mutating func literal(_ word: StaticString) throws(MalformedJSON) {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw MalformedJSON() }
        let expected = UnsafeBufferPointer(start: word.utf8Start, count: count)
        for offset in 0..<count where bytes[index + offset] != expected[offset] { throw MalformedJSON() }
        index += count
    }

    /// Digits, signs, points and exponents in any order: the shape is checked when read.
    private mutating func number() -> Range<Int> {
        let start = index
        index += 1
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"),
                 UInt8(ascii: "+"), UInt8(ascii: "-"):
                index += 1
            default:
                return start..<index
            }
        }
        return start..<index
    }

    /// Up to the closing quote; an escape hides the byte after it (`\u`, the four after that).
    private mutating func string() throws(MalformedJSON) -> Range<Int> {
        index += 1
        let start = index
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\""):
                defer { index += 1 }
                return start..<index
            case UInt8(ascii: "\\"):
                index += 1
                guard index < bytes.count else { throw MalformedJSON() }
                index += bytes[index] == UInt8(ascii: "u") ? 5 : 1
            default:
                index += 1
            }
        }
        throw MalformedJSON()
    }

    private mutating func enter() throws(MalformedJSON) {
        depth += 1
        guard depth <= Self.maximumDepth else { throw MalformedJSON() }
        index += 1
        skipSpace()
    }

    /// Members separated by commas; a comma may also end the list, as before.
    private mutating func object() throws(MalformedJSON) -> JSONNode {
        try enter()
        defer { depth -= 1 }
        var members: [(key: Range<Int>, value: JSONNode)] = []
        while true {
            guard index < bytes.count else { throw MalformedJSON() }
            if bytes[index] == UInt8(ascii: "}") { index += 1; return .object(members) }
            guard bytes[index] == UInt8(ascii: "\"") else { throw MalformedJSON() }
            let key = try string()
            skipSpace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw MalformedJSON() }
            index += 1
            skipSpace()
            members.append((key, try value()))
            skipSpace()
            guard index < bytes.count else { throw MalformedJSON() }
            switch bytes[index] {
            case UInt8(ascii: ","): index += 1; skipSpace()
            case UInt8(ascii: "}"): index += 1; return .object(members)
            default: throw MalformedJSON()
            }
        }
    }

    private mutating func array() throws(MalformedJSON) -> JSONNode {
        try enter()
        defer { depth -= 1 }
        var elements: [JSONNode] = []
        while true {
            guard index < bytes.count else { throw MalformedJSON() }
            if bytes[index] == UInt8(ascii: "]") { index += 1; return .array(elements) }
            elements.append(try value())
            skipSpace()
            guard index < bytes.count else { throw MalformedJSON() }
            switch bytes[index] {
            case UInt8(ascii: ","): index += 1; skipSpace()
            case UInt8(ascii: "]"): index += 1; return .array(elements)
            default: throw MalformedJSON()
            }
        }
    }
}

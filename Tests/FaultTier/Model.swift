import Foundation

/// A small deterministic generator (SplitMix64): the same seed gives the same inputs on every machine.
struct SeededRandom: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func chance(_ probability: Double) -> Bool { Double.random(in: 0..<1, using: &self) < probability }
    mutating func pick<T>(_ items: [T]) -> T { items[Int.random(in: 0..<items.count, using: &self)] }
}

/// A JSON value the fuzzer can break on purpose: `raw` carries bytes emitted verbatim (invalid
/// UTF-8, numbers no decoder can hold, 10 MB of nesting), and objects keep duplicate keys.
indirect enum JSON {
    case null
    case bool(Bool)
    case number(String)
    case string(String)
    case raw([UInt8])
    case array([JSON])
    case object([(String, JSON)])

    var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(into: &out)
        return out
    }

    func write(into out: inout [UInt8]) {
        switch self {
        case .null: out += Array("null".utf8)
        case .bool(let value): out += Array((value ? "true" : "false").utf8)
        case .number(let text): out += Array(text.utf8)
        case .string(let text): JSON.writeString(text, into: &out)
        case .raw(let bytes): out += bytes
        case .array(let items):
            out.append(0x5b)
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(0x2c) }
                item.write(into: &out)
            }
            out.append(0x5d)
        case .object(let members):
            out.append(0x7b)
            for (index, (key, value)) in members.enumerated() {
                if index > 0 { out.append(0x2c) }
                JSON.writeString(key, into: &out)
                out.append(0x3a)
                value.write(into: &out)
            }
            out.append(0x7d)
        }
    }

    static func writeString(_ text: String, into out: inout [UInt8]) {
        out.append(0x22)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += [0x5c, 0x22]
            case "\\": out += [0x5c, 0x5c]
            case _ where scalar.value < 0x20:
                out += Array(String(format: "\\u%04x", scalar.value).utf8)
            default: out += Array(String(scalar).utf8)
            }
        }
        out.append(0x22)
    }

    /// One step into a JSON tree: an object member's position or an array index.
    enum Step { case member(Int), index(Int) }

    /// Every path to a value below the root, parents before children.
    func paths(prefix: [Step] = []) -> [[Step]] {
        switch self {
        case .array(let items):
            return items.indices.flatMap { [prefix + [.index($0)]] + items[$0].paths(prefix: prefix + [.index($0)]) }
        case .object(let members):
            return members.indices.flatMap { [prefix + [.member($0)]] + members[$0].1.paths(prefix: prefix + [.member($0)]) }
        default:
            return []
        }
    }

    func value(at path: [Step]) -> JSON? {
        guard let first = path.first else { return self }
        switch (self, first) {
        case (.array(let items), .index(let i)) where i < items.count: return items[i].value(at: Array(path.dropFirst()))
        case (.object(let members), .member(let i)) where i < members.count: return members[i].1.value(at: Array(path.dropFirst()))
        default: return nil
        }
    }

    /// The tree with the value at `path` replaced (nil removes it).
    func replacing(_ path: [Step], with replacement: JSON?) -> JSON {
        guard let first = path.first else { return replacement ?? .null }
        let rest = Array(path.dropFirst())
        switch (self, first) {
        case (.array(var items), .index(let i)) where i < items.count:
            if rest.isEmpty, replacement == nil { items.remove(at: i) } else { items[i] = items[i].replacing(rest, with: replacement) }
            return .array(items)
        case (.object(var members), .member(let i)) where i < members.count:
            if rest.isEmpty, replacement == nil { members.remove(at: i) } else { members[i].1 = members[i].1.replacing(rest, with: replacement) }
            return .object(members)
        default:
            return self
        }
    }

    /// Key path names for reports (`ipam.ranges[0][0].subnet`).
    func describe(_ path: [Step]) -> String {
        var text = "", node: JSON? = self
        for step in path {
            switch (node, step) {
            case (.array(let items)?, .index(let i)):
                text += "[\(i)]"; node = i < items.count ? items[i] : nil
            case (.object(let members)?, .member(let i)):
                let key = i < members.count ? members[i].0 : "?"
                text += (text.isEmpty ? "" : ".") + key; node = i < members.count ? members[i].1 : nil
            default:
                text += "?"
            }
        }
        return text
    }

    /// Every string value stored under `key` of this object (duplicates included).
    func strings(_ key: String) -> [String]? {
        guard case .object(let members) = self else { return nil }
        let values = members.filter { $0.0 == key }.map(\.1)
        if values.isEmpty { return nil }
        return values.compactMap { if case .string(let text) = $0 { text } else { nil } }
    }

    /// Every value stored under `key` (duplicates included).
    func members(_ key: String) -> [JSON] {
        guard case .object(let members) = self else { return [] }
        return members.filter { $0.0 == key }.map(\.1)
    }

    func count(_ key: String) -> Int { members(key).count }

    func member(_ key: String) -> JSON? {
        guard case .object(let members) = self else { return nil }
        return members.last { $0.0 == key }?.1
    }
}

extension JSON {
    /// A JSONSerialization value as a tree (for inputs whose bytes were changed after serialising).
    init(foundation value: Any) {
        switch value {
        case let text as String: self = .string(text)
        case let array as [Any]: self = .array(array.map(JSON.init(foundation:)))
        case let object as [String: Any]: self = .object(object.map { ($0.key, JSON(foundation: $0.value)) })
        case let number as NSNumber: self = .number(number.stringValue)
        default: self = .null
        }
    }
}

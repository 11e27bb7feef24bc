import Foundation

/// The mutations that know no door's fields, shared by both doors' generators: of the JSON tree
/// (drop, retype, huge numbers, unicode, bad UTF-8, nesting, added keys) and of the bytes.
extension FuzzGenerator {
    // MARK: mutations of the tree

    func randomPath(_ tree: JSON, _ random: inout SeededRandom, where accept: (JSON) -> Bool = { _ in true }) -> [JSON.Step]? {
        let candidates = tree.paths().filter { tree.value(at: $0).map(accept) ?? false }
        return candidates.isEmpty ? nil : random.pick(candidates)
    }

    func dropKey(_ tree: inout JSON, _ random: inout SeededRandom) -> String {
        guard let path = randomPath(tree, &random), case .member = path.last! else { return "drop (nothing)" }
        let name = tree.describe(path)
        tree = tree.replacing(path, with: nil)
        return "drop \(name)"
    }

    static let retypes: [JSON] = [.null, .bool(true), .bool(false), .number("0"), .number("-1"), .number("1.5"), .string(""),
                                          .string("x"), .array([]), .object([]), .array([.number("1"), .string("a")]),
                                          .object([("a", .number("1"))]), .string("true"), .string("10.0.0.1/24")]

    func retype(_ tree: inout JSON, _ random: inout SeededRandom) -> String {
        guard let path = randomPath(tree, &random) else { return "retype (nothing)" }
        let value = random.pick(Self.retypes)
        let name = tree.describe(path)
        tree = tree.replacing(path, with: value)
        return "retype \(name) to \(String(decoding: value.bytes, as: UTF8.self))"
    }

    func hugeNumber(_ tree: inout JSON, _ random: inout SeededRandom) -> String {
        guard let path = randomPath(tree, &random) else { return "huge (nothing)" }
        let text = random.pick(["1e400", "-1e400", "18446744073709551616", "9223372036854775808", "-9223372036854775809",
                                "4294967296", "4294967295", "65536", "2147483648", "1e-400", "-0", "1E+2", "0.0000001",
                                "99999999999999999999999999999999999999999", "123456789012345678901234567890.5"])
        let name = tree.describe(path)
        tree = tree.replacing(path, with: .number(text))
        return "huge \(name)=\(text)"
    }

    func unicode(_ tree: inout JSON, _ random: inout SeededRandom) -> String {
        let anyValue = random.chance(0.2)
        guard let path = randomPath(tree, &random, where: { if case .string = $0 { true } else { anyValue } }) else { return "unicode (nothing)" }
        let name = tree.describe(path)
        let text = random.pick(["ü", "fzbr\u{00FC}", "😀😀😀", String(repeating: "😀", count: 300), "\u{202E}eth0", "a\u{0000}b", "\u{FEFF}",
                                "e\u{0301}", "пример", "网络", "\u{10FFFF}", "10.100.0.0\u{2044}16", "fd00::/64\u{0000}", "\t\n", "\u{7F}"])
        tree = tree.replacing(path, with: random.chance(0.15) ? .raw(Array(random.pick(["\"\\ud800\"", "\"\\udc00x\"", "\"\\u0000\""]).utf8)) : .string(text))
        return "unicode \(name)=\(text.debugDescription.prefix(40))"
    }

    func invalidUTF8(_ tree: inout JSON, _ random: inout SeededRandom) -> String {
        guard let path = randomPath(tree, &random) else { return "invalid-utf8 (nothing)" }
        let bad = random.pick([[0xff], [0xfe, 0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xc0, 0xaf], [0x80]] as [[UInt8]])
        let name = tree.describe(path)
        tree = tree.replacing(path, with: .raw([0x22, 0x61] + bad + [0x62, 0x22]))
        return "invalid-utf8 \(name)=\(bad)"
    }

    func deepNesting(_ tree: inout JSON, _ random: inout SeededRandom) -> String {
        guard let path = randomPath(tree, &random) else { return "deep (nothing)" }
        let depth = random.pick([64, 300, 513, 2_000, 100_000])
        let object = random.chance(0.5)
        let open: [UInt8] = object ? Array("{\"a\":".utf8) : [0x5b], close: [UInt8] = object ? [0x7d] : [0x5d]
        let bytes = Array([[UInt8]](repeating: open, count: depth).joined()) + [0x31] + [UInt8](repeating: close[0], count: depth)
        let name = tree.describe(path)
        tree = tree.replacing(path, with: .raw(bytes))
        return "deep \(name) \(object ? "objects" : "arrays")×\(depth)"
    }

    /// A member added at the top: half the time a key it already has (decoders differ in which one
    /// wins; the plugin must still answer cleanly) with one of `retypes`, else one of `keys` with one of `values`.
    func addKey(_ tree: inout JSON, _ random: inout SeededRandom, keys: [String], values: [JSON]) -> String {
        guard case .object(var members) = tree else { return "add (not an object)" }
        if random.chance(0.5), let existing = members.indices.randomElement(using: &random) {
            let value = random.pick(Self.retypes)
            members.append((members[existing].0, value))
            tree = .object(members)
            return "duplicate \(members[existing].0)=\(String(decoding: value.bytes, as: UTF8.self))"
        }
        let key = random.pick(keys)
        let value = random.pick(values)
        members.append((key, value))
        tree = .object(members)
        return "add \(key)=\(String(decoding: value.bytes, as: UTF8.self))"
    }

    // MARK: mutations of the bytes

    func textMutation(_ random: inout SeededRandom) -> (String, ([UInt8]) -> [UInt8]) {
        let position = Double.random(in: 0..<1, using: &random)
        let byte = UInt8.random(in: 0...255, using: &random)
        switch Int.random(in: 0..<10, using: &random) {
        case 0: return ("truncate at \(Int(position * 100))%", { Array($0.prefix(Int(Double($0.count) * position))) })
        case 1: return ("flip byte at \(Int(position * 100))% to \(byte)", { var b = $0; if !b.isEmpty { b[Int(Double(b.count) * position)] = byte }; return b })
        case 2: return ("insert byte \(byte) at \(Int(position * 100))%", { var b = $0; b.insert(byte, at: Int(Double(b.count) * position)); return b })
        case 3: return ("empty stdin", { _ in [] })
        case 4:
            let text = random.pick(["null", "[]", "\"x\"", "{}", "1e999", "true", " ", "{\"cniVersion\":\"1.0.0\"}"])
            return ("stdin=\(text)", { _ in Array(text.utf8) })
        case 5: return ("byte order mark", { [0xef, 0xbb, 0xbf] + $0 })
        case 6: return ("UTF-16", { Array(String(decoding: $0, as: UTF8.self).data(using: .utf16) ?? Data()) })
        case 7: return ("two documents", { $0 + $0 })
        case 8: return ("trailing garbage", { $0 + Array("}{,".utf8) })
        default: return ("NUL inside", { var b = $0; b.insert(0, at: Int(Double(b.count) * position)); return b })
        }
    }

    /// About 10 MB, in turn: a long string in an unknown key (the config stays valid), leading
    /// whitespace, nesting no decoder may follow to the end, and garbage.
    func tenMegabytes(_ tree: JSON, variant: Int) -> (String, [UInt8]) {
        let size = 10 << 20
        switch variant % 4 {
        case 0:
            guard case .object(var members) = tree else { return ("10 MB (not an object)", tree.bytes) }
            members.append(("padding", .string(String(repeating: "x", count: size))))
            return ("10 MB string in an unknown key", JSON.object(members).bytes)
        case 1:
            return ("10 MB of leading whitespace", [UInt8](repeating: 0x20, count: size) + tree.bytes)
        case 2:
            return ("10 MB of nested arrays", [UInt8](repeating: 0x5b, count: size / 2) + [UInt8](repeating: 0x5d, count: size / 2))
        default:
            var random = SeededRandom(seed: seed)
            var bytes = [UInt8](repeating: 0, count: size)
            bytes.withUnsafeMutableBytes { buffer in
                for offset in stride(from: 0, to: size, by: 8) { buffer.storeBytes(of: random.next(), toByteOffset: offset, as: UInt64.self) }
            }
            return ("10 MB of random bytes", bytes)
        }
    }
}

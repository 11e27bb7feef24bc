import Foundation

// The JSON coding the plugin used before its own reader and writer (Foundation's JSONDecoder and
// JSONEncoder under Go's key rule), kept here only as the reference the differential test holds
// the new one to. Unchanged but for the enum's name.


/// JSON as both doors read and write it: keys by Go's rule (`GoKeyDecoder`), output compact with
/// sorted keys so it is deterministic, slashes unescaped (`/run/netns/…` must read as a path), and
/// decoding errors described by the key path they happened at.
enum FoundationWireJSON {
    /// With `tolerantExcept`, an optional key that cannot be decoded reads as absent, except at the
    /// key paths listed (lower-cased, dot-separated). Throws `DecodingError` or the decoder's own.
    static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8], tolerantExcept needed: Set<String>? = nil) throws -> T {
        let decoder = JSONDecoder()
        if let needed { decoder.userInfo[GoDecoded<T>.tolerance] = GoKeyDecoder.Tolerance(needed: needed) }
        return try decoder.decode(GoDecoded<T>.self, from: Data(bytes)).value
    }

    /// Our own value types always encode; a failure here is a programming error.
    static func encode<T: Encodable>(_ value: T) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? Array(encoder.encode(value))) ?? Array("{}".utf8)
    }

    /// A message that names the key path and what was wrong with it.
    static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            var text = ""
            for key in keys {
                if let index = key.intValue { text += "[\(index)]" } else { text += (text.isEmpty ? "" : ".") + key.stringValue }
            }
            return text.isEmpty ? "document" : "\"\(text)\""
        }
        switch error {
        case .typeMismatch(let type, let context):
            return "\(path(context.codingPath)): expected \(typeName(type))"
        case .valueNotFound(let type, let context):
            return "\(path(context.codingPath)): expected \(typeName(type)), found null"
        case .keyNotFound(let key, let context):
            return "\(path(context.codingPath + [key])): missing"
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return "malformed JSON (\(context.debugDescription))" }
            return "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }

    /// The document's root, read through `GoKeyDecoder`.
    private struct GoDecoded<T: Decodable>: Decodable {
        static var tolerance: CodingUserInfoKey { CodingUserInfoKey(rawValue: "pontoon.tolerance")! }
        var value: T

        init(from decoder: any Decoder) throws {
            value = try T(from: GoKeyDecoder(inner: decoder, tolerance: decoder.userInfo[Self.tolerance] as? GoKeyDecoder.Tolerance))
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "a boolean"
        case is Int.Type, is UInt16.Type, is Int32.Type: "an integer"
        default: String(describing: type).hasPrefix("Array") ? "an array" : "an object"
        }
    }
}

/// Object keys read the way the reference plugins read them (Go's `encoding/json`): a key names a
/// field when it is spelled the same ignoring case, an exact spelling wins over other casings, and
/// keys naming no field are ignored. Runtimes rely on it: containerd's go-cni sends port mappings as
/// `{"HostPort":…,"ContainerPort":…,"Protocol":…,"HostIP":…}` and DNS as `{"Servers",…}` because
/// its Go types carry no JSON tags.
///
/// `GoKeyDecoder` wraps the JSON decoder's own `Decoder`, so the rule holds for every `Decodable`
/// type at once (their synthesized conformances stay as they are) instead of each struct resolving
/// its keys by hand. Two differences from Go, both about documents no runtime sends: when a key is
/// spelled both exactly and in another casing, the exact spelling wins whatever the order (Go takes
/// the later one); when it is spelled in several other casings only, the first in byte order wins.
///
/// With `tolerance`, an optional key whose value cannot be decoded reads as absent instead of
/// failing, except at the key paths named as needed: DEL decodes this way, so a malformed runtime
/// setting it does not use never stops a teardown.
struct GoKeyDecoder: Decoder {
    let inner: any Decoder
    let tolerance: Tolerance?

    /// Key paths (lower-cased, dot-separated, array indices left out) that stay strict.
    struct Tolerance: Sendable {
        var needed: Set<String>
    }

    var codingPath: [any CodingKey] { inner.codingPath }
    var userInfo: [CodingUserInfoKey: Any] { inner.userInfo }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(GoKeyedContainer<Key>(inner: try inner.container(keyedBy: AnyKey.self), tolerance: tolerance))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        GoUnkeyedContainer(inner: try inner.unkeyedContainer(), tolerance: tolerance)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        GoSingleValueContainer(inner: try inner.singleValueContainer(), decoder: self)
    }
}

/// Any string as a key, to see the object's keys as they are spelled.
struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// Whether `T` is a JSON scalar the underlying decoder reads itself (no keys below it).
private func isScalar<T>(_ type: T.Type) -> Bool {
    type == String.self || type == Bool.self || type == Int.self || type == Double.self || type == Int64.self
        || type == UInt16.self || type == Int32.self || type == UInt32.self || type == UInt64.self
        || type == UInt8.self || type == Float.self || type == UInt.self || type == Int8.self || type == Int16.self
}

private struct GoKeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let inner: KeyedDecodingContainer<AnyKey>
    let tolerance: GoKeyDecoder.Tolerance?
    /// Each key of the object by its lower-cased form, for fields not spelled exactly (of several
    /// casings, the first in byte order).
    private let folded: [String: String]

    init(inner: KeyedDecodingContainer<AnyKey>, tolerance: GoKeyDecoder.Tolerance?) {
        self.inner = inner
        self.tolerance = tolerance
        var folded: [String: String] = [:]
        for key in inner.allKeys {
            let fold = key.stringValue.lowercased()
            if let other = folded[fold], other < key.stringValue { continue }
            folded[fold] = key.stringValue
        }
        self.folded = folded
    }

    var codingPath: [any CodingKey] { inner.codingPath }

    var allKeys: [Key] { inner.allKeys.compactMap { Key(stringValue: $0.stringValue) } }

    /// The key as spelled in the document: exactly, else in any casing.
    private func resolve(_ key: Key) -> AnyKey? {
        let exact = AnyKey(stringValue: key.stringValue)
        if inner.contains(exact) { return exact }
        return folded[key.stringValue.lowercased()].map(AnyKey.init(stringValue:))
    }

    private func present(_ key: Key) throws -> AnyKey {
        guard let found = resolve(key) else {
            throw DecodingError.keyNotFound(key, DecodingError.Context(codingPath: codingPath, debugDescription: "missing"))
        }
        return found
    }

    func contains(_ key: Key) -> Bool { resolve(key) != nil }

    func decodeNil(forKey key: Key) throws -> Bool {
        try inner.decodeNil(forKey: try present(key))
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try value(type, at: try present(key))
    }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        try optional(type, key)
    }

    private func scalar<T: Decodable>(_ type: T.Type, _ key: Key) throws -> T {
        try inner.decode(type, forKey: try present(key))
    }

    /// A JSON scalar straight from the JSON decoder; anything else through a wrapped decoder, so
    /// the rule reaches every level.
    private func value<T: Decodable>(_ type: T.Type, at found: AnyKey) throws -> T {
        if isScalar(type) { return try inner.decode(type, forKey: found) }
        return try T(from: GoKeyDecoder(inner: try inner.superDecoder(forKey: found), tolerance: tolerance))
    }

    /// Absent or null reads as nil; so does an undecodable value where tolerated.
    private func optional<T: Decodable>(_ type: T.Type, _ key: Key) throws -> T? {
        guard let found = resolve(key), try !inner.decodeNil(forKey: found) else { return nil }
        do {
            return try value(type, at: found)
        } catch {
            guard let tolerance, !tolerance.needed.contains(path(key)) else { throw error }
            return nil
        }
    }

    /// `runtimeconfig.portmappings.hostport`: the key's path in the spelling of `needed`.
    private func path(_ key: Key) -> String {
        (codingPath.filter { $0.intValue == nil }.map(\.stringValue) + [key.stringValue])
            .map { $0.lowercased() }.joined(separator: ".")
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try GoKeyDecoder(inner: try inner.superDecoder(forKey: try present(key)), tolerance: tolerance).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try GoKeyDecoder(inner: try inner.superDecoder(forKey: try present(key)), tolerance: tolerance).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder {
        GoKeyDecoder(inner: try inner.superDecoder(), tolerance: tolerance)
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        GoKeyDecoder(inner: try inner.superDecoder(forKey: try present(key)), tolerance: tolerance)
    }

    // The scalar requirements, all through the one generic path above.
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try scalar(type, key) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try scalar(type, key) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try scalar(type, key) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try scalar(type, key) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try scalar(type, key) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try scalar(type, key) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try scalar(type, key) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try scalar(type, key) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try scalar(type, key) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try scalar(type, key) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try scalar(type, key) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try scalar(type, key) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try scalar(type, key) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try scalar(type, key) }
    func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? { try optional(type, key) }
    func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? { try optional(type, key) }
    func decodeIfPresent(_ type: Double.Type, forKey key: Key) throws -> Double? { try optional(type, key) }
    func decodeIfPresent(_ type: Float.Type, forKey key: Key) throws -> Float? { try optional(type, key) }
    func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? { try optional(type, key) }
    func decodeIfPresent(_ type: Int8.Type, forKey key: Key) throws -> Int8? { try optional(type, key) }
    func decodeIfPresent(_ type: Int16.Type, forKey key: Key) throws -> Int16? { try optional(type, key) }
    func decodeIfPresent(_ type: Int32.Type, forKey key: Key) throws -> Int32? { try optional(type, key) }
    func decodeIfPresent(_ type: Int64.Type, forKey key: Key) throws -> Int64? { try optional(type, key) }
    func decodeIfPresent(_ type: UInt.Type, forKey key: Key) throws -> UInt? { try optional(type, key) }
    func decodeIfPresent(_ type: UInt8.Type, forKey key: Key) throws -> UInt8? { try optional(type, key) }
    func decodeIfPresent(_ type: UInt16.Type, forKey key: Key) throws -> UInt16? { try optional(type, key) }
    func decodeIfPresent(_ type: UInt32.Type, forKey key: Key) throws -> UInt32? { try optional(type, key) }
    func decodeIfPresent(_ type: UInt64.Type, forKey key: Key) throws -> UInt64? { try optional(type, key) }
}

private struct GoUnkeyedContainer: UnkeyedDecodingContainer {
    var inner: any UnkeyedDecodingContainer
    let tolerance: GoKeyDecoder.Tolerance?

    var codingPath: [any CodingKey] { inner.codingPath }
    var count: Int? { inner.count }
    var isAtEnd: Bool { inner.isAtEnd }
    var currentIndex: Int { inner.currentIndex }

    mutating func decodeNil() throws -> Bool { try inner.decodeNil() }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        if isScalar(type) { return try inner.decode(type) }
        return try T(from: GoKeyDecoder(inner: try inner.superDecoder(), tolerance: tolerance))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        try GoKeyDecoder(inner: try inner.superDecoder(), tolerance: tolerance).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try GoKeyDecoder(inner: try inner.superDecoder(), tolerance: tolerance).unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder {
        GoKeyDecoder(inner: try inner.superDecoder(), tolerance: tolerance)
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool { try inner.decode(type) }
    mutating func decode(_ type: String.Type) throws -> String { try inner.decode(type) }
    mutating func decode(_ type: Double.Type) throws -> Double { try inner.decode(type) }
    mutating func decode(_ type: Float.Type) throws -> Float { try inner.decode(type) }
    mutating func decode(_ type: Int.Type) throws -> Int { try inner.decode(type) }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try inner.decode(type) }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try inner.decode(type) }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try inner.decode(type) }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try inner.decode(type) }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try inner.decode(type) }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try inner.decode(type) }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try inner.decode(type) }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try inner.decode(type) }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try inner.decode(type) }
}

private struct GoSingleValueContainer: SingleValueDecodingContainer {
    let inner: any SingleValueDecodingContainer
    let decoder: GoKeyDecoder

    var codingPath: [any CodingKey] { inner.codingPath }

    func decodeNil() -> Bool { inner.decodeNil() }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        if isScalar(type) { return try inner.decode(type) }
        // An optional or a wrapper reading its payload: the same value, still under the rule.
        return try T(from: decoder)
    }

    func decode(_ type: Bool.Type) throws -> Bool { try inner.decode(type) }
    func decode(_ type: String.Type) throws -> String { try inner.decode(type) }
    func decode(_ type: Double.Type) throws -> Double { try inner.decode(type) }
    func decode(_ type: Float.Type) throws -> Float { try inner.decode(type) }
    func decode(_ type: Int.Type) throws -> Int { try inner.decode(type) }
    func decode(_ type: Int8.Type) throws -> Int8 { try inner.decode(type) }
    func decode(_ type: Int16.Type) throws -> Int16 { try inner.decode(type) }
    func decode(_ type: Int32.Type) throws -> Int32 { try inner.decode(type) }
    func decode(_ type: Int64.Type) throws -> Int64 { try inner.decode(type) }
    func decode(_ type: UInt.Type) throws -> UInt { try inner.decode(type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try inner.decode(type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try inner.decode(type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try inner.decode(type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try inner.decode(type) }
}

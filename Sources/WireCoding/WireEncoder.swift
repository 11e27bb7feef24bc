/// The `Encoder` for what the plugin writes: a tree of `EncodedNode`s that `JSONWriter` writes
/// out compact with sorted keys, as the encoder Pontoon used before (Swift's Foundation) wrote it.
@usableFromInline
final class EncodedNode {
    @usableFromInline
    enum Kind {
        /// Nothing encoded yet: written as `{}`, as before.
        case empty
        /// A scalar already in its JSON text (a number, `true`, `null`); strings are kept apart.
        case literal(String)
        case string(String)
        case array
        case object
    }

    @usableFromInline var kind = Kind.empty
    @usableFromInline var elements: [EncodedNode] = []
    /// In the order they were set; `JSONWriter` sorts them and keeps one of a key set twice. A
    /// list, not a dictionary: hashing every key of every document cost an ADD ~0.14 M instructions.
    @usableFromInline var members: [(key: String, node: EncodedNode)] = []

    @usableFromInline init() {}

    @inlinable func set(_ key: String, _ node: EncodedNode) {
        // Room for a typical object at once, not regrown at 1, 2, 4 and 8 members.
        if members.capacity == 0 { members.reserveCapacity(8) }
        members.append((key, node))
    }
}

struct WireEncoder: Encoder {
    let node: EncodedNode
    let codingPath: [any CodingKey]

    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func child(_ key: any CodingKey) -> (EncodedNode, WireEncoder) {
        let node = EncodedNode()
        return (node, WireEncoder(node: node, codingPath: codingPath + [key]))
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if case .object = node.kind {} else { node.kind = .object; node.members = [] }
        return KeyedEncodingContainer(WireKeyedEncoder<Key>(encoder: self))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if case .array = node.kind {} else { node.kind = .array; node.elements = [] }
        return WireUnkeyedEncoder(encoder: self)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { WireSingleValueEncoder(encoder: self) }

    /// `value` into this encoder's node: a JSON scalar written here, anything else by its own `encode(to:)`.
    func encode<T: Encodable>(_ value: T) throws {
        let type = T.self
        if type == String.self { node.kind = .string(value as! String) }
        else if type == Bool.self { node.kind = .literal(value as! Bool ? "true" : "false") }
        else if type == Int.self { node.kind = .literal(String(value as! Int)) }
        else if type == UInt16.self { node.kind = .literal(String(value as! UInt16)) }
        else if type == UInt32.self { node.kind = .literal(String(value as! UInt32)) }
        else if type == Int32.self { node.kind = .literal(String(value as! Int32)) }
        else if type == Int64.self { node.kind = .literal(String(value as! Int64)) }
        else if type == UInt64.self { node.kind = .literal(String(value as! UInt64)) }
        else if type == UInt8.self { node.kind = .literal(String(value as! UInt8)) }
        else if type == UInt.self { node.kind = .literal(String(value as! UInt)) }
        else if type == Int8.self { node.kind = .literal(String(value as! Int8)) }
        else if type == Int16.self { node.kind = .literal(String(value as! Int16)) }
        else if type == Double.self { let value = value as! Double; node.kind = .literal(try Self.number(value.description, finite: value.isFinite)) }
        else if type == Float.self { let value = value as! Float; node.kind = .literal(try Self.number(value.description, finite: value.isFinite)) }
        else { try value.encode(to: self) }
    }

    /// `1.0` as `1`, `1e-07` as is; no JSON for infinities and NaN.
    private static func number(_ text: String, finite: Bool) throws -> String {
        guard finite else { throw EncodingError.invalidValue(text, .init(codingPath: [], debugDescription: "not a finite number")) }
        return text.hasSuffix(".0") ? String(text.dropLast(2)) : text
    }
}

struct WireKeyedEncoder<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let encoder: WireEncoder
    var codingPath: [any CodingKey] { encoder.codingPath }

    private func child(_ key: Key) -> WireEncoder {
        let (node, encoder) = encoder.child(key)
        self.encoder.node.set(key.stringValue, node)
        return encoder
    }

    mutating func encodeNil(forKey key: Key) throws { child(key).node.kind = .literal("null") }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws { try child(key).encode(value) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        child(key).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer { child(key).unkeyedContainer() }
    mutating func superEncoder() -> any Encoder { child(Key(stringValue: "super")!) }
    mutating func superEncoder(forKey key: Key) -> any Encoder { child(key) }
}

struct WireUnkeyedEncoder: UnkeyedEncodingContainer {
    let encoder: WireEncoder
    var codingPath: [any CodingKey] { encoder.codingPath }
    var count: Int { encoder.node.elements.count }

    private func next() -> WireEncoder {
        let (node, encoder) = encoder.child(IndexKey(index: count))
        self.encoder.node.elements.append(node)
        return encoder
    }

    mutating func encodeNil() throws { next().node.kind = .literal("null") }
    mutating func encode<T: Encodable>(_ value: T) throws { try next().encode(value) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        next().container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer { next().unkeyedContainer() }
    mutating func superEncoder() -> any Encoder { next() }
}

struct WireSingleValueEncoder: SingleValueEncodingContainer {
    let encoder: WireEncoder
    var codingPath: [any CodingKey] { encoder.codingPath }

    mutating func encodeNil() throws { encoder.node.kind = .literal("null") }
    mutating func encode<T: Encodable>(_ value: T) throws { try encoder.encode(value) }
}

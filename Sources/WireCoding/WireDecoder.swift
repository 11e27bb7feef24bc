/// The `Decoder` over a scanned document, with object keys read the way the reference plugins
/// read them (Go's `encoding/json`): a key names a field when it is spelled the same ignoring case,
/// an exact spelling wins over other casings, and keys naming no field are ignored. Runtimes rely
/// on it: containerd's go-cni sends port mappings as `{"HostPort":…,"ContainerPort":…,…}` and DNS
/// as `{"Servers",…}` because its Go types carry no JSON tags.
///
/// Where Go and the decoder Pontoon used before (Swift's Foundation) differ, this one keeps the
/// earlier behaviour, proven equal by WireCodingTests' differential test: of a key spelled twice
/// the first wins (Go: the last); when spelled both exactly and in another casing the exact one
/// wins whatever the order; of several other casings only, the first in byte order. Error paths
/// name keys as the document spells them, and `missing` keys as the type declares them.
///
/// With `tolerance`, an optional key whose value cannot be decoded reads as absent instead of
/// failing, except at the key paths named as needed: DEL decodes this way, so a malformed runtime
/// setting it does not use never stops a teardown.
struct WireDecoder: Decoder {
    let bytes: [UInt8]
    let node: JSONNode
    /// The key path to `node`, as a chain up to the root: a child adds one link where copying the
    /// whole path cost ~1.7 K instructions a member (0.1 M a CNI ADD's decoding), and only errors
    /// and a tolerant read's strictness check ever read it.
    let path: CodingPathLink?
    let tolerance: Tolerance?

    var codingPath: [any CodingKey] { path?.keys ?? [] }

    /// Key paths (lower-cased, dot-separated, array indices left out) that stay strict.
    struct Tolerance: Sendable {
        var needed: Set<String>
    }

    var userInfo: [CodingUserInfoKey: Any] { [:] }

    /// The same document at `node`, one key or index further down.
    func child(_ node: JSONNode, _ key: any CodingKey) -> WireDecoder {
        WireDecoder(bytes: bytes, node: node, path: CodingPathLink(parent: path, key: key), tolerance: tolerance)
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(WireKeyedContainer<Key>(decoder: self, members: try objectMembers()))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        WireUnkeyedContainer(decoder: self, elements: try arrayElements())
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        WireSingleValueContainer(decoder: self)
    }

    func mismatch(_ type: Any.Type, container: String) -> DecodingError {
        if case .null = node {
            return .valueNotFound(type, .init(codingPath: codingPath, debugDescription: "Cannot get \(container) decoding container -- found null value instead"))
        }
        return .typeMismatch(type, .init(codingPath: codingPath, debugDescription: "Expected to decode \(type) but found \(node.kindName) instead."))
    }

    /// This decoder's value as `T`: a JSON scalar read here, anything else by its own `init(from:)`.
    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        if type == String.self { return try string() as! T }
        if type == Bool.self { return try bool() as! T }
        if type == Int.self { return try integer(Int.self) as! T }
        if type == UInt16.self { return try integer(UInt16.self) as! T }
        if type == UInt32.self { return try integer(UInt32.self) as! T }
        if type == Int32.self { return try integer(Int32.self) as! T }
        if type == Int64.self { return try integer(Int64.self) as! T }
        if type == UInt64.self { return try integer(UInt64.self) as! T }
        if type == UInt8.self { return try integer(UInt8.self) as! T }
        if type == UInt.self { return try integer(UInt.self) as! T }
        if type == Int8.self { return try integer(Int8.self) as! T }
        if type == Int16.self { return try integer(Int16.self) as! T }
        if type == Double.self { return try floating(Double.self) { (bytes, range) throws(MalformedJSON) in try JSONNumbers.double(bytes, range) } as! T }
        if type == Float.self { return try floating(Float.self) { (bytes, range) throws(MalformedJSON) in try JSONNumbers.float(bytes, range) } as! T }
        return try T(from: self)
    }

    func string() throws -> String {
        guard case .string(let range) = node else { throw scalarMismatch(String.self) }
        return try rooted { () throws(MalformedJSON) in try JSONStrings.decode(bytes, range) }
    }

    func bool() throws -> Bool {
        guard case .bool(let value) = node else {
            // A null where a boolean goes is a mismatch, not a missing value, as before.
            throw DecodingError.typeMismatch(Bool.self, .init(codingPath: codingPath, debugDescription: "Expected to decode Bool but found \(node.kindName) instead."))
        }
        return value
    }

    func integer<I: FixedWidthInteger>(_ type: I.Type) throws -> I {
        guard case .number(let range) = node else { throw scalarMismatch(type) }
        return try rooted { () throws(MalformedJSON) in try JSONNumbers.integer(type, bytes, range) }
    }

    func floating<F>(_ type: F.Type, _ read: ([UInt8], Range<Int>) throws(MalformedJSON) -> F) throws -> F {
        guard case .number(let range) = node else { throw scalarMismatch(type) }
        return try rooted { () throws(MalformedJSON) in try read(bytes, range) }
    }

    private func scalarMismatch(_ type: Any.Type) -> DecodingError {
        if case .null = node {
            return .valueNotFound(type, .init(codingPath: codingPath, debugDescription: "Cannot get value of type \(type) -- found null value instead"))
        }
        return .typeMismatch(type, .init(codingPath: codingPath, debugDescription: "Expected to decode \(type) but found \(node.kindName) instead."))
    }
}

/// One key of a decoder's path, linked to the keys above it.
final class CodingPathLink {
    let parent: CodingPathLink?
    let key: any CodingKey

    init(parent: CodingPathLink?, key: any CodingKey) {
        self.parent = parent
        self.key = key
    }

    /// The path from the root down to this key.
    var keys: [any CodingKey] {
        var keys: [any CodingKey] = []
        var link: CodingPathLink? = self
        while let current = link {
            keys.append(current.key)
            link = current.parent
        }
        return keys.reversed()
    }
}

/// Malformed text found while reading a value fails the whole document, as before.
func rooted<R>(_ body: () throws(MalformedJSON) -> R) throws -> R {
    do {
        return try body()
    } catch {
        throw WireJSON.malformed
    }
}

/// Any string as a key, to see the object's keys as they are spelled.
struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// An array position in a key path.
struct IndexKey: CodingKey {
    var intValue: Int?
    var stringValue: String { "Index \(intValue ?? 0)" }
    init(index: Int) { intValue = index }
    init?(stringValue: String) { nil }
    init?(intValue: Int) { self.intValue = intValue }
}

/// A type the plugin reads from a document without `Decodable`: Swift's `Decodable` machinery
/// instantiates generic metadata (`KeyedDecodingContainer<Key>`, its box, `Array<T>.init(from:)`)
/// and looks up conformances at run time, which cost most of an ADD's user-space time (0.6 ms of
/// a NetConf). A type's `init(wire:)` reads exactly what its `init(from:)` reads, with the same
/// key rule, errors and tolerance (WireCodingTests' differential test holds the two equal).
public protocol WireDecodable {
    init(wire value: WireReader) throws
}

/// One value of a scanned document with its key path: the `Decoder` (`WireDecoder`) without the
/// generic containers. Every read reports failures as the `Decodable` path does. The generic reads
/// are `@inlinable`, so each is specialized where a wire type calls it: unspecialized, they would
/// instantiate generic metadata at run time as `Decodable` does.
public struct WireReader {
    let decoder: WireDecoder

    public var codingPath: [any CodingKey] { decoder.codingPath }

    public var isNull: Bool {
        if case .null = decoder.node { return true }
        return false
    }

    public func string() throws -> String { try decoder.string() }
    public func bool() throws -> Bool { try decoder.bool() }
    public func int() throws -> Int { try decoder.integer(Int.self) }
    public func int32() throws -> Int32 { try decoder.integer(Int32.self) }
    public func int64() throws -> Int64 { try decoder.integer(Int64.self) }
    public func uint8() throws -> UInt8 { try decoder.integer(UInt8.self) }
    public func uint16() throws -> UInt16 { try decoder.integer(UInt16.self) }
    public func uint32() throws -> UInt32 { try decoder.integer(UInt32.self) }
    public func uint64() throws -> UInt64 { try decoder.integer(UInt64.self) }
    public func double() throws -> Double {
        try decoder.floating(Double.self) { (bytes, range) throws(MalformedJSON) in try JSONNumbers.double(bytes, range) }
    }

    @inlinable
    public func decode<T: WireDecodable>(_ type: T.Type = T.self) throws -> T { try T(wire: self) }

    /// An object (its keys read now, as a keyed container's were).
    public func object() throws -> WireFields { WireFields(decoder: decoder, members: try decoder.objectMembers()) }

    /// Each element of an array, one index further down the key path. A loop, not an array of
    /// values: each array type costs its own metadata at run time.
    public func forEachElement(_ body: (WireReader) throws -> Void) throws {
        for (index, node) in try decoder.arrayElements().enumerated() {
            try body(WireReader(decoder: decoder.child(node, IndexKey(index: index))))
        }
    }

    /// Each member of an object in document order, each key once (the first of a key given twice).
    public func forEachMember(_ body: (_ key: String, _ value: WireReader) throws -> Void) throws {
        for member in try decoder.objectMembers().members {
            try body(member.key, WireReader(decoder: decoder.child(member.node, AnyKey(stringValue: member.key))))
        }
    }

    /// An array, each element read by `element` (`Array.init(from:)`).
    @inlinable
    public func array<T>(_ element: (WireReader) throws -> T) throws -> [T] {
        var values: [T] = []
        try forEachElement { values.append(try element($0)) }
        return values
    }

    @inlinable
    public func array<T: WireDecodable>(_ type: T.Type) throws -> [T] { try array { try T(wire: $0) } }

    /// An object as a map (`Dictionary<String, T>.init(from:)`): keys in document order, each
    /// once, every value required.
    @inlinable
    public func dictionary<T>(_ value: (WireReader) throws -> T) throws -> [String: T] {
        var values: [String: T] = [:]
        try forEachMember { key, member in values[key] = try value(member) }
        return values
    }

    @inlinable
    public func dictionary<T: WireDecodable>(_ type: T.Type) throws -> [String: T] { try dictionary { try T(wire: $0) } }

    /// A text-coded value: `make` gives nil for text it refuses, which fails as `TextCodable`
    /// (NetAddress) and `RawRepresentable` types do, naming this value's key path.
    @inlinable
    public func text<T>(_ make: (String) -> T?, refusing: (String) -> String) throws -> T {
        let text = try string()
        guard let value = make(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: codingPath, debugDescription: refusing(text)))
        }
        return value
    }

    /// A `String`-backed enum, refused as `RawRepresentable.init(from:)` refuses a value.
    @inlinable
    public func enumeration<T: RawRepresentable>(_: T.Type) throws -> T where T.RawValue == String {
        try text(T.init(rawValue:), refusing: { "Cannot initialize \(T.self) from invalid String value \($0)" })
    }
}

/// An object's fields by Go's key rule (`WireMembers`), read as a synthesized `init(from:)` reads
/// them: `decode` for a required field, `decodeIfPresent` for an optional one.
public struct WireFields {
    let decoder: WireDecoder
    let members: WireMembers

    public var codingPath: [any CodingKey] { decoder.codingPath }

    /// The field `name` names (spelled so, else in another casing), one key further down; nil when absent.
    public func member(_ name: String) -> WireReader? {
        guard let (found, node) = members.member(name) else { return nil }
        return WireReader(decoder: decoder.child(node, AnyKey(stringValue: found)))
    }

    /// Whether an unreadable optional field `name` fails the read (always, unless tolerant).
    public func isStrict(at name: String) -> Bool { decoder.isStrict(at: AnyKey(stringValue: name)) }

    /// A required field: missing is an error; null is one too, unless `read` takes null.
    @inlinable
    public func decode<T>(_ key: some CodingKey, _ read: (WireReader) throws -> T) throws -> T {
        guard let value = member(key.stringValue) else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "missing"))
        }
        return try read(value)
    }

    @inlinable
    public func decode<T: WireDecodable>(_ key: some CodingKey, as type: T.Type = T.self) throws -> T {
        try decode(key) { try T(wire: $0) }
    }

    /// An optional field: absent or null reads as nil; so does an unreadable value where tolerated.
    @inlinable
    public func decodeIfPresent<T>(_ key: some CodingKey, _ read: (WireReader) throws -> T) throws -> T? {
        guard let value = member(key.stringValue), !value.isNull else { return nil }
        do {
            return try read(value)
        } catch {
            guard !isStrict(at: key.stringValue) else { throw error }
            return nil
        }
    }

    @inlinable
    public func decodeIfPresent<T: WireDecodable>(_ key: some CodingKey, as type: T.Type = T.self) throws -> T? {
        try decodeIfPresent(key) { try T(wire: $0) }
    }
}

// The scalars, read as `WireDecoder.decode` reads them.
extension String: WireDecodable { public init(wire value: WireReader) throws { self = try value.string() } }
extension Bool: WireDecodable { public init(wire value: WireReader) throws { self = try value.bool() } }
extension Int: WireDecodable { public init(wire value: WireReader) throws { self = try value.int() } }
extension Int32: WireDecodable { public init(wire value: WireReader) throws { self = try value.int32() } }
extension Int64: WireDecodable { public init(wire value: WireReader) throws { self = try value.int64() } }
extension UInt8: WireDecodable { public init(wire value: WireReader) throws { self = try value.uint8() } }
extension UInt16: WireDecodable { public init(wire value: WireReader) throws { self = try value.uint16() } }
extension UInt32: WireDecodable { public init(wire value: WireReader) throws { self = try value.uint32() } }
extension UInt64: WireDecodable { public init(wire value: WireReader) throws { self = try value.uint64() } }
extension Double: WireDecodable { public init(wire value: WireReader) throws { self = try value.double() } }

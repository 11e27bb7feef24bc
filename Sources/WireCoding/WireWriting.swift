/// What the plugin writes (its answers, its records), built without Codable: each wire type says
/// its members in `wireValue`, and `JSONWriter` writes the tree as `WireJSON.encode` writes the
/// same type's Codable encoding (compact, keys sorted). Codable's encoding of a type costs the
/// Swift runtime its generic containers' metadata on first use, per type, in every short-lived
/// plugin process (a third of a millisecond per ADD); this costs a few small allocations.
/// WireCodingTests and EngineTests prove both encodings byte-equal, type by type.
public protocol WireEncodable {
    var wireValue: WireValue { get }
}

/// One JSON value of a document being built.
public struct WireValue {
    @usableFromInline let node: EncodedNode

    @usableFromInline init(_ kind: EncodedNode.Kind) {
        node = EncodedNode()
        node.kind = kind
    }

    /// An object; `build` sets its members (a nil value leaves its key out, as Codable's
    /// `encodeIfPresent` does).
    @inlinable
    public static func object(_ build: (inout WireObject) -> Void) -> WireValue {
        let value = WireValue(.object)
        var object = WireObject(node: value.node)
        build(&object)
        return value
    }

    @inlinable
    public static func array(_ elements: [WireValue]) -> WireValue {
        let value = WireValue(.array)
        value.node.elements = elements.map(\.node)
        return value
    }

    @inlinable
    public static func string(_ text: String) -> WireValue { WireValue(.string(text)) }
}

/// The members of an object being built.
public struct WireObject {
    @usableFromInline let node: EncodedNode

    @usableFromInline init(node: EncodedNode) { self.node = node }

    /// The member `key`; nil leaves it out. Of a key set twice, the last.
    @inlinable
    public mutating func set<Value: WireEncodable>(_ key: String, _ value: Value?) {
        guard let value else { return }
        node.set(key, value.wireValue.node)
    }

    /// A value written as its text (addresses, enumerations' raw values): nil leaves it out.
    @inlinable
    public mutating func set<Value: CustomStringConvertible>(_ key: String, text value: Value?) {
        guard let value else { return }
        node.set(key, WireValue.string(value.description).node)
    }

    /// A list of values written as their texts.
    @inlinable
    public mutating func set<Value: CustomStringConvertible>(_ key: String, texts values: [Value]?) {
        guard let values else { return }
        node.set(key, WireValue.array(values.map { .string($0.description) }).node)
    }
}

extension String: WireEncodable {
    @inlinable public var wireValue: WireValue { .string(self) }
}

extension Bool: WireEncodable {
    @inlinable public var wireValue: WireValue { WireValue(.literal(self ? "true" : "false")) }
}

extension Int: WireEncodable {
    @inlinable public var wireValue: WireValue { WireValue(.literal(String(self))) }
}

extension UInt16: WireEncodable {
    @inlinable public var wireValue: WireValue { WireValue(.literal(String(self))) }
}

extension Array: WireEncodable where Element: WireEncodable {
    @inlinable public var wireValue: WireValue { .array(map(\.wireValue)) }
}

/// A map with string keys (netavark's interfaces by name, its answer by network).
extension Dictionary: WireEncodable where Key == String, Value: WireEncodable {
    @inlinable public var wireValue: WireValue {
        .object { object in
            for (key, value) in self { object.set(key, value) }
        }
    }
}

extension WireJSON {
    /// `value` as the plugin writes it: the bytes `encode` writes for the same value.
    public static func write(_ value: some WireEncodable) -> [UInt8] {
        var writer = JSONWriter()
        writer.write(value.wireValue.node)
        return writer.tooDeep ? Array("{}".utf8) : writer.output
    }
}

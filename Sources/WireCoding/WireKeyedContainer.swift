/// An object's members by Go's key rule (see `WireDecoder`). The keys are read when the container
/// opens, so a bad key fails only an object some type reads, as before.
struct WireKeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let decoder: WireDecoder
    /// Each member by its key as spelled; of a key given twice, the first.
    private let members: [String: JSONNode]
    /// The keys in document order, each once: a type walking `allKeys` (a map of networks) meets
    /// them in the order the runtime wrote them, not in a hash order that changes from run to run.
    private let order: [String]
    /// Each key by its lower-cased form, for fields not spelled exactly (of several casings, the
    /// first in byte order).
    private let folded: [String: String]

    init(decoder: WireDecoder, members list: [(key: Range<Int>, value: JSONNode)]) throws {
        self.decoder = decoder
        var members: [String: JSONNode] = [:]
        var order: [String] = []
        members.reserveCapacity(list.count)
        for (range, value) in list {
            let key = try rooted { () throws(MalformedJSON) in try JSONStrings.decode(decoder.bytes, range) }
            if members[key] == nil {
                members[key] = value
                order.append(key)
            }
        }
        var folded: [String: String] = [:]
        for key in members.keys {
            let fold = key.lowercased()
            if let other = folded[fold], other < key { continue }
            folded[fold] = key
        }
        self.members = members
        self.order = order
        self.folded = folded
    }

    var codingPath: [any CodingKey] { decoder.codingPath }

    var allKeys: [Key] { order.compactMap { Key(stringValue: $0) } }

    /// The key as spelled in the document: exactly, else in any casing.
    private func resolve(_ key: Key) -> String? {
        if members[key.stringValue] != nil { return key.stringValue }
        return folded[key.stringValue.lowercased()]
    }

    private func present(_ key: Key) throws -> WireDecoder {
        guard let found = resolve(key), let node = members[found] else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "missing"))
        }
        return decoder.child(node, AnyKey(stringValue: found))
    }

    func contains(_ key: Key) -> Bool { resolve(key) != nil }

    func decodeNil(forKey key: Key) throws -> Bool {
        if case .null = try present(key).node { return true }
        return false
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try decodeValue(type, forKey: key) }

    func decodeValue<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try present(key).decode(type)
    }

    /// Absent or null reads as nil; so does an undecodable value where tolerated.
    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? { try decodeOptional(type, forKey: key) }

    func decodeOptional<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard let found = resolve(key), let node = members[found] else { return nil }
        if case .null = node { return nil }
        do {
            return try decoder.child(node, AnyKey(stringValue: found)).decode(type)
        } catch {
            guard let tolerance = decoder.tolerance, !tolerance.needed.contains(path(key)) else { throw error }
            return nil
        }
    }

    /// `runtimeconfig.portmappings.hostport`: the key's path in the spelling of `needed`.
    private func path(_ key: Key) -> String {
        (codingPath.filter { $0.intValue == nil }.map(\.stringValue) + [key.stringValue])
            .map { $0.lowercased() }.joined(separator: ".")
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try present(key).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try present(key).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder {
        decoder.child(members["super"] ?? .null, AnyKey(stringValue: "super"))
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        try present(key)
    }
}

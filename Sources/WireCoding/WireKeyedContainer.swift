/// An object's members by Go's key rule (`WireMembers`), for the `Decodable` path.
struct WireKeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let decoder: WireDecoder
    let members: WireMembers

    var codingPath: [any CodingKey] { decoder.codingPath }

    var allKeys: [Key] { members.order.compactMap { Key(stringValue: $0) } }

    private func present(_ key: Key) throws -> WireDecoder {
        guard let (found, node) = members.member(key.stringValue) else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "missing"))
        }
        return decoder.child(node, AnyKey(stringValue: found))
    }

    func contains(_ key: Key) -> Bool { members.resolve(key.stringValue) != nil }

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
        guard let (found, node) = members.member(key.stringValue) else { return nil }
        if case .null = node { return nil }
        do {
            return try decoder.child(node, AnyKey(stringValue: found)).decode(type)
        } catch {
            guard !decoder.isStrict(at: key) else { throw error }
            return nil
        }
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try present(key).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try present(key).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder {
        decoder.child(members.node("super") ?? .null, AnyKey(stringValue: "super"))
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        try present(key)
    }
}

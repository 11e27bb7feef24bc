/// An array's elements in order, each decoded one key path further down (`[2]`).
struct WireUnkeyedContainer: UnkeyedDecodingContainer {
    let decoder: WireDecoder
    let elements: [JSONNode]
    private(set) var currentIndex = 0

    init(decoder: WireDecoder, elements: [JSONNode]) {
        self.decoder = decoder
        self.elements = elements
    }

    var codingPath: [any CodingKey] { decoder.codingPath }
    var count: Int? { elements.count }
    var isAtEnd: Bool { currentIndex >= elements.count }

    private func next(_ type: Any.Type) throws -> WireDecoder {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(type, .init(codingPath: codingPath + [IndexKey(index: currentIndex)],
                                                          debugDescription: "Unkeyed container is at end."))
        }
        return decoder.child(elements[currentIndex], IndexKey(index: currentIndex))
    }

    mutating func decodeNil() throws -> Bool {
        guard case .null = try next(Any?.self).node else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try decodeValue(type) }

    mutating func decodeValue<T: Decodable>(_ type: T.Type) throws -> T {
        let value = try next(type).decode(type)
        currentIndex += 1
        return value
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        let container = try next([String: Any].self).container(keyedBy: type)
        currentIndex += 1
        return container
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let container = try next([Any].self).unkeyedContainer()
        currentIndex += 1
        return container
    }

    mutating func superDecoder() throws -> any Decoder {
        let decoder = try next(Any.self)
        currentIndex += 1
        return decoder
    }
}

/// The decoder's own value, for types that read a scalar (or wrap another value).
struct WireSingleValueContainer: SingleValueDecodingContainer {
    let decoder: WireDecoder

    var codingPath: [any CodingKey] { decoder.codingPath }

    func decodeNil() -> Bool {
        if case .null = decoder.node { return true }
        return false
    }

    func decode<T: Decodable>(_ type: T.Type) throws -> T { try decoder.decode(type) }
}

/// JSON as both doors read and write it, with our own reader and writer (no Foundation: the plugin
/// starts once per operation and Foundation's load and conformance scan cost it milliseconds).
/// Keys by Go's rule (`WireDecoder`); output compact with sorted keys so it is deterministic,
/// slashes unescaped (`/run/netns/…` must read as a path); decoding errors described by the key
/// path they happened at. What it accepts and how it reads each value is what the decoder used
/// before (Swift's Foundation `JSONDecoder`) did: WireCodingTests' differential test holds that.
public enum WireJSON {
    /// With `tolerantExcept`, an optional key that cannot be decoded reads as absent, except at the
    /// key paths listed (lower-cased, dot-separated). Throws `DecodingError` or the type's own.
    public static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8], tolerantExcept needed: Set<String>? = nil) throws -> T {
        try T(from: root(bytes, tolerantExcept: needed))
    }

    /// `decode` for the plugin's own wire types, without `Decodable`'s run-time generics: the same
    /// values and errors (WireCodingTests proves it).
    public static func read<T: WireDecodable>(_ type: T.Type, from bytes: [UInt8], tolerantExcept needed: Set<String>? = nil) throws -> T {
        try T(wire: WireReader(decoder: root(bytes, tolerantExcept: needed)))
    }

    private static func root(_ bytes: [UInt8], tolerantExcept needed: Set<String>?) throws -> WireDecoder {
        guard let text = JSONInput.utf8(bytes) else { throw malformed }
        let node = try rooted { () throws(MalformedJSON) in try JSONScanner.parse(text) }
        return WireDecoder(bytes: text, node: node, path: nil, tolerance: needed.map(WireDecoder.Tolerance.init(needed:)))
    }

    /// Our own value types always encode; a failure here is a programming error.
    public static func encode<T: Encodable>(_ value: T) -> [UInt8] {
        let root = EncodedNode()
        guard (try? WireEncoder(node: root, codingPath: []).encode(value)) != nil else { return Array("{}".utf8) }
        var writer = JSONWriter()
        writer.write(root)
        return writer.tooDeep ? Array("{}".utf8) : writer.output
    }

    /// What any document that is not JSON fails with: the message tests pin.
    static var malformed: DecodingError {
        .dataCorrupted(.init(codingPath: [], debugDescription: "The given data was not valid JSON."))
    }

    /// A message that names the key path and what was wrong with it.
    public static func describe(_ error: DecodingError) -> String {
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

    /// `describe` for a decoding error, the error's own text for any other.
    public static func describe(any error: any Error) -> String {
        (error as? DecodingError).map(describe) ?? "\(error)"
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

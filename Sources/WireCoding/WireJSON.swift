import FoundationEssentials

/// JSON as both doors read and write it: keys by Go's rule (`GoKeyDecoder`), output compact with
/// sorted keys so it is deterministic, slashes unescaped (`/run/netns/…` must read as a path), and
/// decoding errors described by the key path they happened at.
public enum WireJSON {
    /// With `tolerantExcept`, an optional key that cannot be decoded reads as absent, except at the
    /// key paths listed (lower-cased, dot-separated). Throws `DecodingError` or the decoder's own.
    public static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8], tolerantExcept needed: Set<String>? = nil) throws -> T {
        let decoder = JSONDecoder()
        if let needed { decoder.userInfo[GoDecoded<T>.tolerance] = GoKeyDecoder.Tolerance(needed: needed) }
        return try decoder.decode(GoDecoded<T>.self, from: Data(bytes)).value
    }

    /// Our own value types always encode; a failure here is a programming error.
    public static func encode<T: Encodable>(_ value: T) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? Array(encoder.encode(value))) ?? Array("{}".utf8)
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

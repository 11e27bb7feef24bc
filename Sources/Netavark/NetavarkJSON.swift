import FoundationEssentials

/// JSON in and out for the netavark door: output compact with sorted keys and unescaped slashes;
/// decoding errors name the key path, as netavark's own messages do.
public enum NetavarkJSON {
    public struct DecodeError: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    public static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws(DecodeError) -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(bytes))
        } catch let error as DecodingError {
            throw DecodeError(description: "invalid network options: \(describe(error))")
        } catch {
            throw DecodeError(description: "invalid network options: \(error)")
        }
    }

    public static func encode<T: Encodable>(_ value: T) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return ((try? Array(encoder.encode(value))) ?? Array("{}".utf8)) + [0x0a]
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            let text = keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return text.isEmpty ? "document" : String(text.drop { $0 == "." })
        }
        switch error {
        case .typeMismatch(_, let context): return "\(path(context.codingPath)): wrong type"
        case .valueNotFound(_, let context): return "\(path(context.codingPath)): null where a value is required"
        case .keyNotFound(let key, let context): return "\(path(context.codingPath + [key])): missing"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "malformed JSON" : "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}

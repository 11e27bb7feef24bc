import WireCoding

/// JSON in and out for the netavark door: `WireJSON` (Go's key rule, as in the CNI door), with
/// decoding failures as netavark's one-sentence errors naming the key path.
public enum NetavarkJSON {
    public struct DecodeError: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// Through the plugin's own reader (`WireJSON.read`), not `Decodable`: the same values and errors.
    public static func decode<T: WireDecodable>(_ type: T.Type, from bytes: [UInt8]) throws(DecodeError) -> T {
        do {
            return try WireJSON.read(type, from: bytes)
        } catch let error as DecodingError {
            throw DecodeError(description: "invalid network options: \(WireJSON.describe(error))")
        } catch {
            throw DecodeError(description: "invalid network options: \(error)")
        }
    }

    /// One document and a newline (written without Codable: `WireWriting.swift`).
    public static func encode(_ value: some WireEncodable) -> [UInt8] { WireJSON.write(value) + [0x0a] }
}

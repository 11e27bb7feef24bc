import WireCoding

/// JSON in and out for the CNI door: `WireJSON` with failures as CNI decoding errors (6).
public enum JSONCoding {
    /// Keys are read by Go's rule (see `WireDecoder`). With `tolerantExcept`, the decode is tolerant:
    /// an optional key that cannot be decoded reads as absent, except at the key paths listed.
    public static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8], what: String,
                                     tolerantExcept needed: Set<String>? = nil) throws(CNIError) -> T {
        try failing(what) { try WireJSON.decode(type, from: bytes, tolerantExcept: needed) }
    }

    /// `decode` for the plugin's own wire types, without `Decodable`'s run-time cost (`WireJSON.read`).
    public static func read<T: WireDecodable>(_ type: T.Type, from bytes: [UInt8], what: String,
                                              tolerantExcept needed: Set<String>? = nil) throws(CNIError) -> T {
        try failing(what) { try WireJSON.read(type, from: bytes, tolerantExcept: needed) }
    }

    private static func failing<T>(_ what: String, _ body: () throws -> T) throws(CNIError) -> T {
        do {
            return try body()
        } catch let error as DecodingError {
            throw CNIError(.decodingFailure, "failed to decode \(what): \(describe(error))")
        } catch {
            throw CNIError(.decodingFailure, "failed to decode \(what): \(error)")
        }
    }

    public static func encode<T: Encodable>(_ value: T) -> [UInt8] { WireJSON.encode(value) }

    public static func describe(_ error: DecodingError) -> String { WireJSON.describe(error) }
}

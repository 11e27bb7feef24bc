import WireCoding

/// JSON in and out for the CNI door: `WireJSON` with failures as CNI decoding errors (6).
public enum JSONCoding {
    /// Keys are read by Go's rule (see `WireDecoder`). With `tolerantExcept`, the decode is tolerant:
    /// an optional key that cannot be decoded reads as absent, except at the key paths listed.
    public static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8], what: String,
                                     tolerantExcept needed: Set<String>? = nil) throws(CNIError) -> T {
        do {
            return try WireJSON.decode(type, from: bytes, tolerantExcept: needed)
        } catch let error as DecodingError {
            throw CNIError(.decodingFailure, "failed to decode \(what): \(describe(error))")
        } catch {
            throw CNIError(.decodingFailure, "failed to decode \(what): \(error)")
        }
    }

    public static func encode<T: Encodable>(_ value: T) -> [UInt8] { WireJSON.encode(value) }

    public static func describe(_ error: DecodingError) -> String { WireJSON.describe(error) }
}

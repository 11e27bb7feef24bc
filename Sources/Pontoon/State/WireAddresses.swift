import NetAddress
import WireCoding

extension WireReader {
    /// An address in its text form, refused as `TextCodable.init(from:)` refuses one (the records
    /// Pontoon writes carry addresses as text).
    func address<T: TextCodable>(_: T.Type) throws -> T {
        try text(T.init, refusing: { "invalid \(T.kindName) \"\($0)\"" })
    }
}

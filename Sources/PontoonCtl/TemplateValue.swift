import Foundation

/// A JSON value as `--format '{{…}}'` walks it: what pontoonctl prints as JSON, read back, so a
/// template sees exactly the keys `--format json` shows.
public indirect enum TemplateValue: Decodable, Equatable, Sendable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([TemplateValue])
    case object([String: TemplateValue])

    public init(from decoder: any Decoder) throws {
        let value = try decoder.singleValueContainer()
        if value.decodeNil() { self = .null }
        else if let bool = try? value.decode(Bool.self) { self = .bool(bool) }
        else if let integer = try? value.decode(Int64.self) { self = .integer(integer) }
        else if let number = try? value.decode(Double.self) { self = .number(number) }
        else if let string = try? value.decode(String.self) { self = .string(string) }
        else if let array = try? value.decode([TemplateValue].self) { self = .array(array) }
        else { self = .object(try value.decode([String: TemplateValue].self)) }
    }

    /// Any Encodable as its JSON, read back.
    public static func of<T: Encodable>(_ value: T) throws(CtlError) -> TemplateValue {
        do {
            return try JSONDecoder().decode(TemplateValue.self, from: try JSONEncoder().encode(value))
        } catch {
            throw CtlError(.failed, "cannot read the output as JSON for --format: \(error)")
        }
    }

    /// As Go's text/template prints a value: strings bare, maps as `map[k:v]` in key order,
    /// slices as `[a b]`, a missing value as `<no value>`.
    public var printed: String {
        switch self {
        case .null: "<no value>"
        case .bool(let bool): "\(bool)"
        case .integer(let integer): "\(integer)"
        case .number(let number): number == number.rounded() && abs(number) < 1e15 ? "\(Int64(number))" : "\(number)"
        case .string(let string): string
        case .array(let items): "[" + items.map { $0.nested }.joined(separator: " ") + "]"
        case .object(let fields): "map[" + fields.keys.sorted().map { "\($0):\(fields[$0]!.nested)" }.joined(separator: " ") + "]"
        }
    }

    /// Inside a map or slice Go prints nil as `<nil>`.
    private var nested: String { self == .null ? "<nil>" : printed }

    /// As Go's `json` template function: compact JSON (keys sorted, as pontoonctl's JSON output is).
    public var json: String {
        switch self {
        case .null: "null"
        case .bool, .integer, .number: printed
        case .string(let string): Self.quoted(string)
        case .array(let items): "[" + items.map(\.json).joined(separator: ",") + "]"
        case .object(let fields): "{" + fields.keys.sorted().map { Self.quoted($0) + ":" + fields[$0]!.json }.joined(separator: ",") + "}"
        }
    }

    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            // Go's encoding/json escapes these for HTML safety; scripts comparing output see the same bytes.
            case "<", ">", "&": out += String(format: "\\u%04x", scalar.value)
            default:
                if scalar.value < 0x20 { out += String(format: "\\u%04x", scalar.value) } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out + "\""
    }
}

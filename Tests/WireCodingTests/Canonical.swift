/// A decoded value as text that is the same for equal values: every stored property by name,
/// dictionaries and sets in sorted order (their iteration order is not part of the value).
/// For the types that are only `Decodable` (NetConf), where the old encoder cannot show the value.
enum Canonical {
    static func text(_ value: Any) -> String {
        let mirror = Mirror(reflecting: value)
        switch mirror.displayStyle {
        case .optional:
            return mirror.children.first.map { "some(" + text($0.value) + ")" } ?? "nil"
        case .dictionary:
            let entries = mirror.children.map { entry -> String in
                let pair = Mirror(reflecting: entry.value).children.map { text($0.value) }
                return pair.joined(separator: ": ")
            }
            return "[" + entries.sorted().joined(separator: ", ") + "]"
        case .set:
            return "set[" + mirror.children.map { text($0.value) }.sorted().joined(separator: ", ") + "]"
        case .collection, .tuple:
            return "[" + mirror.children.map { text($0.value) }.joined(separator: ", ") + "]"
        case .struct, .class, .enum:
            if mirror.children.isEmpty { return "\(type(of: value)).\(value)" }
            return "\(type(of: value))(" + mirror.children.map { ($0.label ?? "_") + ": " + text($0.value) }.joined(separator: ", ") + ")"
        default:
            // Scalars: their exact text (a Double's shortest round-trip form), with the type.
            return "\(type(of: value)) \(String(reflecting: value))"
        }
    }
}

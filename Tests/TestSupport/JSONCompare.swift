import Foundation

/// Semantic JSON comparison for golden files: key order and formatting never matter.
public enum JSONCompare {
    public static func parse(_ data: Data) throws -> Any {
        try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
    }

    /// Canonical text (sorted keys) of a JSON value, for readable diffs in failure messages.
    public static func canonical(_ value: Any) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed, .withoutEscapingSlashes]) else {
            return "\(value)"
        }
        return String(decoding: data, as: UTF8.self)
    }

    public static func equal(_ a: Any, _ b: Any) -> Bool {
        canonical(a) == canonical(b)
    }

    /// Replace run-dependent strings (MACs, generated names, temp paths) by placeholders.
    public static func normalise(_ value: Any, _ rules: [(pattern: String, replacement: String)]) -> Any {
        mapStrings(value) { text in
            rules.reduce(text) { $0.replacingOccurrences(of: $1.pattern, with: $1.replacement, options: .regularExpression) }
        }
    }

    /// Apply `transform` to every string inside a JSON value, keeping its structure.
    public static func mapStrings(_ value: Any, _ transform: (String) -> String) -> Any {
        switch value {
        case let text as String:
            return transform(text)
        case let array as [Any]:
            return array.map { mapStrings($0, transform) }
        case let object as [String: Any]:
            return object.mapValues { mapStrings($0, transform) }
        default:
            return value
        }
    }
}

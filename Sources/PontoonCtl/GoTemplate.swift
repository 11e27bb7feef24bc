import Foundation

/// The part of Go's text/template that podman users write in `--format`: literal text, field paths
/// (`{{.NetworkSettings.IPAddress}}`), `{{json X}}`, `{{index X "key" 0}}` and pipes
/// (`{{.X | json}}`). Anything else is refused by name, never silently printed wrong.
/// Evaluated over the JSON pontoonctl prints, so a template sees what `--format json` shows.
public struct GoTemplate: Sendable {
    enum Segment: Sendable, Equatable {
        case text(String)
        case action([Command])
    }

    /// One stage of a pipeline: a function with its arguments, or a lone value.
    enum Command: Sendable, Equatable {
        case value(Argument)
        case json([Argument])
        case index([Argument])
    }

    enum Argument: Sendable, Equatable {
        case field([String])   // `.` is the empty path
        case string(String)
        case integer(Int)
    }

    let segments: [Segment]

    /// What pontoonctl's templates take, for the error that refuses the rest.
    static let supported = "literal text, {{.Field.Path}}, {{json X}}, {{index X \"key\"}} and pipes into them"

    /// Parses `text` as podman does before: `\t` and `\n` typed literally become a tab and a newline.
    public init(_ text: String) throws(CtlError) {
        if text.hasPrefix("table ") || text.hasPrefix("table\t") {
            throw CtlError(.usage, "--format: \"table TEMPLATE\" is not supported: use table, json or a template without the table prefix")
        }
        segments = try Self.parse(text.replacingOccurrences(of: "\\t", with: "\t").replacingOccurrences(of: "\\n", with: "\n"))
    }

    /// Whether `--format` holds a template rather than a format's name.
    public static func isTemplate(_ text: String) -> Bool { text.contains("{{") }

    /// The template applied to one value; podman ends each item's output with a newline.
    public func render(_ value: TemplateValue) throws(CtlError) -> String {
        var out = ""
        for segment in segments {
            switch segment {
            case .text(let text): out += text
            case .action(let pipeline): out += try Self.run(pipeline, on: value).printed
            }
        }
        return out.hasSuffix("\n") ? out : out + "\n"
    }

    // MARK: parsing

    static func parse(_ text: String) throws(CtlError) -> [Segment] {
        var segments: [Segment] = []
        var rest = Substring(text)
        while let open = rest.range(of: "{{") {
            var literal = String(rest[..<open.lowerBound])
            var inner = rest[open.upperBound...]
            guard let close = inner.range(of: "}}") else { throw CtlError(.usage, "--format: unclosed action (a {{ without }})") }
            var action = inner[..<close.lowerBound]
            inner = inner[close.upperBound...]
            // `{{- ` and ` -}}` trim the white space beside the action, as Go's do.
            if action.hasPrefix("- ") || action == "-" {
                action = action.dropFirst()
                while literal.last?.isWhitespace == true { literal.removeLast() }
            }
            if action.hasSuffix(" -") {
                action = action.dropLast()
                inner = inner.drop { $0.isWhitespace }
            }
            if !literal.isEmpty { segments.append(.text(literal)) }
            let trimmed = action.trimmingCharacters(in: .whitespaces)
            if !(trimmed.hasPrefix("/*") && trimmed.hasSuffix("*/")) { segments.append(.action(try pipeline(trimmed))) }
            rest = inner
        }
        if rest.contains("}}") { throw CtlError(.usage, "--format: unexpected }} (no {{ before it)") }
        if !rest.isEmpty { segments.append(.text(String(rest))) }
        return segments
    }

    static func pipeline(_ text: String) throws(CtlError) -> [Command] {
        let words = try tokens(text)
        guard !words.isEmpty else { throw CtlError(.usage, "--format: empty action {{}}") }
        var commands: [Command] = []
        var current: [String] = []
        for word in words + ["|"] {
            guard word == "|" else { current.append(word); continue }
            guard !current.isEmpty else { throw CtlError(.usage, "--format: {{\(text)}}: a pipe with nothing on one side") }
            commands.append(try command(current, in: text))
            current = []
        }
        return commands
    }

    static func command(_ words: [String], in action: String) throws(CtlError) -> Command {
        let head = words[0]
        // Read after the head is known: `{{$x := …}}` is refused for its variable, not for `:=`.
        func arguments() throws(CtlError) -> [Argument] {
            var parsed: [Argument] = []
            for word in words.dropFirst() { parsed.append(try argument(word, in: action)) }
            return parsed
        }
        switch head {
        case "json":
            let given = try arguments()
            guard given.count <= 1 else { throw CtlError(.usage, "--format: {{\(action)}}: json takes one value") }
            return .json(given)
        case "index":
            return .index(try arguments())
        default:
            guard head.hasPrefix(".") || head.hasPrefix("\"") || head.first?.isNumber == true else {
                let what = ["range", "if", "with", "else", "end", "define", "template", "block", "break", "continue"].contains(head)
                    ? "{{\(head)}}" : head.hasPrefix("$") ? "variables ($…)" : head.hasPrefix("(") ? "parentheses" : "the function \(head)"
                throw CtlError(.usage, "--format: \(what) is not supported (pontoonctl's templates take \(supported))")
            }
            guard words.count == 1 else { throw CtlError(.usage, "--format: {{\(action)}}: \(head) is not a function") }
            return .value(try argument(head, in: action))
        }
    }

    static func argument(_ word: String, in action: String) throws(CtlError) -> Argument {
        if word == "." { return .field([]) }
        if word.hasPrefix(".") {
            let names = word.dropFirst().split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            guard !names.contains(where: \.isEmpty) else { throw CtlError(.usage, "--format: {{\(action)}}: \"\(word)\" is not a field path") }
            return .field(names)
        }
        if word.hasPrefix("\""), word.count >= 2, word.hasSuffix("\"") { return .string(try unquote(word, in: action)) }
        if word.hasPrefix("`"), word.count >= 2, word.hasSuffix("`") { return .string(String(word.dropFirst().dropLast())) }
        if let integer = Int(word) { return .integer(integer) }
        if word.hasPrefix("$") { throw CtlError(.usage, "--format: variables ($…) are not supported (pontoonctl's templates take \(supported))") }
        throw CtlError(.usage, "--format: {{\(action)}}: \"\(word)\" is not a field, a string or a number (pontoonctl's templates take \(supported))")
    }

    /// Words of an action: quoted strings kept whole, `|` a word of its own.
    static func tokens(_ text: String) throws(CtlError) -> [String] {
        var words: [String] = []
        var word = ""
        var quote: Character?
        var escaped = false
        for character in text {
            if let open = quote {
                word.append(character)
                if escaped { escaped = false } else if character == "\\" && open == "\"" { escaped = true } else if character == open { quote = nil }
                continue
            }
            if character == "\"" || character == "`" {
                quote = character
                word.append(character)
            } else if character == "|" || character.isWhitespace {
                if !word.isEmpty { words.append(word); word = "" }
                if character == "|" { words.append("|") }
            } else if character == "(" || character == ")" {
                throw CtlError(.usage, "--format: parentheses are not supported (pontoonctl's templates take \(supported))")
            } else {
                word.append(character)
            }
        }
        guard quote == nil else { throw CtlError(.usage, "--format: {{\(text)}}: unterminated string") }
        if !word.isEmpty { words.append(word) }
        return words
    }

    static func unquote(_ word: String, in action: String) throws(CtlError) -> String {
        var out = ""
        var escaped = false
        for character in word.dropFirst().dropLast() {
            if escaped {
                switch character {
                case "n": out += "\n"
                case "t": out += "\t"
                case "\\", "\"": out.append(character)
                default: throw CtlError(.usage, "--format: {{\(action)}}: unknown escape \\\(character)")
                }
                escaped = false
            } else if character == "\\" { escaped = true } else { out.append(character) }
        }
        return out
    }
}

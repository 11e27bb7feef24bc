extension GoTemplate {
    /// A pipeline, as Go runs one: each command's result is the last argument of the next.
    static func run(_ pipeline: [Command], on root: TemplateValue) throws(CtlError) -> TemplateValue {
        var piped: TemplateValue?
        for command in pipeline {
            piped = try apply(command, piped, root)
        }
        return piped ?? .null
    }

    static func apply(_ command: Command, _ piped: TemplateValue?, _ root: TemplateValue) throws(CtlError) -> TemplateValue {
        switch command {
        case .value(let argument):
            guard piped == nil else { throw CtlError(.usage, "--format: only a function (json, index) can take a piped value") }
            return try value(argument, root)
        case .json(let arguments):
            let values = try arguments.map { argument throws(CtlError) in try value(argument, root) } + (piped.map { [$0] } ?? [])
            guard values.count == 1 else { throw CtlError(.usage, "--format: json takes exactly one value, got \(values.count)") }
            return .string(values[0].json)
        case .index(let arguments):
            let values = try arguments.map { argument throws(CtlError) in try value(argument, root) } + (piped.map { [$0] } ?? [])
            guard let collection = values.first else { throw CtlError(.usage, "--format: index needs a map or a list to index") }
            var current = collection
            for key in values.dropFirst() { current = try index(current, key) }
            return current
        }
    }

    static func value(_ argument: Argument, _ root: TemplateValue) throws(CtlError) -> TemplateValue {
        switch argument {
        case .string(let string): return .string(string)
        case .integer(let integer): return .integer(Int64(integer))
        case .field(let path):
            var current = root
            for (position, name) in path.enumerated() {
                let at = "." + path[...position].joined(separator: ".")
                guard case .object(let fields) = current else {
                    throw CtlError(.usage, "--format: can't evaluate \(at): \(describe(current)) has no fields")
                }
                guard let next = field(name, in: fields) else {
                    let known = fields.keys.sorted().prefix(12).joined(separator: ", ")
                    throw CtlError(.usage, "--format: can't evaluate \(at): no field \(name) (there are: \(known))")
                }
                current = next
            }
            return current
        }
    }

    /// A key as written; else a Go field name for its JSON key, as podman's templates name fields
    /// of structs whose JSON keys differ (`NetworkInterface` for `network_interface`, `ID` for `Id`).
    static func field(_ name: String, in fields: [String: TemplateValue]) -> TemplateValue? {
        if let exact = fields[name] { return exact }
        guard name.first?.isUppercase == true else { return nil }
        let wanted = normalised(name)
        let matches = fields.keys.filter { normalised($0) == wanted }
        return matches.count == 1 ? fields[matches[0]] : nil
    }

    static func normalised(_ key: String) -> String { key.lowercased().filter { $0 != "_" } }

    /// Go's `index`: a map by a string key (a missing key gives no value), a list by a number in range.
    static func index(_ collection: TemplateValue, _ key: TemplateValue) throws(CtlError) -> TemplateValue {
        switch (collection, key) {
        case (.object(let fields), .string(let name)):
            return fields[name] ?? .null
        case (.array(let items), .integer(let position)):
            guard position >= 0, position < items.count else {
                throw CtlError(.usage, "--format: index \(position) out of range (\(items.count) items)")
            }
            return items[Int(position)]
        case (.null, _):
            return .null
        default:
            throw CtlError(.usage, "--format: can't index \(describe(collection)) with \(describe(key))")
        }
    }

    static func describe(_ value: TemplateValue) -> String {
        switch value {
        case .null: "no value"
        case .bool: "a bool"
        case .integer, .number: "a number"
        case .string: "a string"
        case .array: "a list"
        case .object: "a map"
        }
    }
}

/// A network configuration list (a `.conflist`) as a runtime reads it: the list's name and
/// version and its plugins in order. The document is kept whole, so keys a runtime does not read
/// (`disableCheck`, a plugin's own settings) are written back and passed on exactly as given; the
/// typed accessors read what the runtime needs and are nil when it is absent or of the wrong type.
public struct NetConfList: Codable, Sendable, Equatable {
    public var fields: [String: JSONValue]

    public init(fields: [String: JSONValue]) { self.fields = fields }

    public init(cniVersion: String, name: String, plugins: [PluginConf]) {
        fields = ["cniVersion": .string(cniVersion), "name": .string(name), "plugins": .array(plugins.map { .object($0.fields) })]
    }

    public init(from decoder: any Decoder) throws {
        fields = try [String: JSONValue](from: decoder)
    }

    public func encode(to encoder: any Encoder) throws {
        try fields.encode(to: encoder)
    }

    public var name: String? { fields["name"]?.string }
    public var cniVersion: String? { fields["cniVersion"]?.string }

    /// nil unless `plugins` is an array of objects.
    public var plugins: [PluginConf]? {
        guard let entries = fields["plugins"]?.array else { return nil }
        var plugins: [PluginConf] = []
        for entry in entries {
            guard let object = entry.object else { return nil }
            plugins.append(PluginConf(fields: object))
        }
        return plugins
    }
}

/// One plugin's entry in a conflist: its `type` and `capabilities` typed, every key kept.
public struct PluginConf: Sendable, Equatable {
    public var fields: [String: JSONValue]

    public init(fields: [String: JSONValue]) { self.fields = fields }

    public var type: String? { fields["type"]?.string }

    /// The capabilities the plugin declares (set to `true`), in name order.
    public var capabilities: [String] {
        (fields["capabilities"]?.object ?? [:]).filter { $0.value == .bool(true) }.map(\.key).sorted()
    }

    /// The plugin's stdin within the list (libcni's rule): its own keys with the list's `name` and
    /// `cniVersion`, the previous plugin's result when there is one, and `runtimeConfig` holding only
    /// the values of the capabilities it declares (absent when none applies).
    public func config(name: String, cniVersion: String, prevResult: WireResult?, runtimeValues: [String: JSONValue]) -> [String: JSONValue] {
        var config = fields
        config["name"] = .string(name)
        config["cniVersion"] = .string(cniVersion)
        if let prevResult { config["prevResult"] = JSONValue(encoding: prevResult) }
        var runtimeConfig: [String: JSONValue] = [:]
        for capability in capabilities { runtimeConfig[capability] = runtimeValues[capability] }
        config["runtimeConfig"] = runtimeConfig.isEmpty ? nil : .object(runtimeConfig)
        return config
    }
}

/// The `CNI_*` environment of one plugin invocation, validated the way a runtime expects.
public struct CNIEnvironment: Sendable {
    public var command: CNICommand
    public var containerID: String?
    public var netns: String?
    public var ifName: String?
    public var args: CNIArgs
    public var path: [String]
    /// The whole environment as received: a delegated plugin is run with it.
    public var variables: [String: String]

    /// The variables each command cannot do without (the spec's table; `CNI_NETNS` is optional on DEL).
    static func required(for command: CNICommand) -> [String] {
        switch command {
        case .add, .check: ["CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME", "CNI_PATH"]
        case .del: ["CNI_CONTAINERID", "CNI_IFNAME", "CNI_PATH"]
        case .version, .status, .gc: []
        }
    }

    public init(_ env: [String: String]) throws(CNIError) {
        guard let raw = env["CNI_COMMAND"], !raw.isEmpty else {
            throw CNIError(.invalidEnvironment, "required env variables [CNI_COMMAND] missing")
        }
        guard let command = CNICommand(rawValue: raw) else {
            throw CNIError(.invalidEnvironment, "unknown CNI_COMMAND \"\(raw)\"",
                           details: "expected one of \(CNICommand.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self.command = command
        variables = env

        func value(_ key: String) -> String? {
            guard let v = env[key], !v.isEmpty else { return nil }
            return v
        }
        let missing = Self.required(for: command).filter { value($0) == nil }
        if !missing.isEmpty {
            throw CNIError(.invalidEnvironment, "required env variables [\(missing.joined(separator: " "))] missing")
        }
        containerID = value("CNI_CONTAINERID")
        netns = value("CNI_NETNS")
        ifName = value("CNI_IFNAME")
        path = (value("CNI_PATH") ?? "").split(separator: ":").map(String.init)
        args = command == .del ? CNIArgs(tolerating: value("CNI_ARGS") ?? "") : try CNIArgs(parsing: value("CNI_ARGS") ?? "")
    }
}

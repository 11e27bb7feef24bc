/// One plugin invocation after decoding: its environment, its config, and the version to answer in.
public struct CNIRequest: Sendable {
    public let environment: CNIEnvironment
    public let config: NetConf
    public let version: CNIVersion
    /// stdin as received: a delegated IPAM plugin gets exactly these bytes.
    public let rawConfig: [UInt8]

    public var command: CNICommand { environment.command }

    public init(environment: CNIEnvironment, stdin: [UInt8]) throws(CNIError) {
        self.environment = environment
        rawConfig = stdin
        // DEL reads tolerantly: a runtime setting it does not use cannot stop a teardown.
        config = try JSONCoding.read(NetConf.self, from: stdin, what: "network config",
                                     tolerantExcept: environment.command == .del ? NetConf.keysTeardownNeeds : nil)
        // A config without a version is the oldest one, as the reference decoder treats it.
        let requested = config.cniVersion.flatMap { $0.isEmpty ? nil : $0 } ?? "0.1.0"
        guard let version = CNIVersion(requested), version.isSupported else {
            throw CNIError(.incompatibleVersion, "incompatible CNI versions",
                           details: "config is \"\(requested)\", plugin supports [\(CNIVersion.supported.map { "\"\($0)\"" }.joined(separator: " "))]")
        }
        self.version = version
        switch environment.command {
        case .check where !version.hasCheck:
            throw CNIError(.incompatibleVersion, "config version \(version) does not allow CHECK", details: "CHECK needs cniVersion 0.4.0 or later")
        case .status where !version.hasStatusAndGC, .gc where !version.hasStatusAndGC:
            throw CNIError(.incompatibleVersion, "config version \(version) does not allow \(environment.command.rawValue)",
                           details: "\(environment.command.rawValue) needs cniVersion 1.1.0 or later")
        default:
            break
        }
    }
}

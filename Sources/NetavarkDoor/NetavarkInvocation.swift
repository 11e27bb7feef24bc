import Netavark
import Pontoon

/// The netavark door: podman runs pontoon as its `netavark` helper. stdout carries only the JSON
/// answer (a StatusBlock map, the version, or `{"error": …}` with exit status 1); nothing goes to
/// stderr.
public enum NetavarkInvocation {
    public static let version = "0.3.0"

    /// The target triple this binary was built for, as netavark's `version` reports its own.
    static var buildTarget: String {
        #if arch(x86_64)
        "x86_64-unknown-linux-gnu"
        #elseif arch(arm64)
        "aarch64-unknown-linux-gnu"
        #else
        "unknown-linux-gnu"
        #endif
    }

    /// `readInput` is called only by the verbs that take NetworkOptions (from `--file` or stdin).
    public static func answer(arguments: [String], environment: [String: String],
                              readInput: () -> [UInt8]) -> PluginAnswer {
        do {
            let commandLine = try NetavarkCommandLine(parsing: arguments)
            let configDirectory = try ConfigPath.validated(commandLine.configDirectory, key: "--config")
            configureLog(environment)
            let firewall = try firewallKind(commandLine.firewallDriver)
            switch commandLine.verb {
            case .version:
                return PluginAnswer(output: NetavarkJSON.encode(VersionDocument(
                    version: version, commit: "pontoon", buildTime: "unknown", target: buildTarget)), status: 0)
            case .programVersion:
                // netavark prints "netavark X.Y.Z"; this is pontoon, and says so.
                return PluginAnswer(output: Array("pontoon \(version)\n".utf8), status: 0)
            case .setup(let netns):
                let dnsPort = try dnsPort(environment)
                let options = try readOptions(commandLine, readInput)
                Timing.mark("decode")
                let (statuses, undo) = try NetavarkSetup(configDirectory: configDirectory, aardvarkBinary: commandLine.aardvarkBinary,
                                                             firewall: firewall, netns: netns, options: options,
                                                             rootless: commandLine.rootless, dnsPort: dnsPort).run()
                return PluginAnswer(output: NetavarkJSON.encode(statuses), status: 0, undo: undo)
            case .teardown(let netns):
                let options = try readOptions(commandLine, readInput)
                try NetavarkTeardown(configDirectory: configDirectory, aardvarkBinary: commandLine.aardvarkBinary,
                                     firewall: firewall, netns: netns, options: options, rootless: commandLine.rootless).run()
                return PluginAnswer(output: [], status: 0)
            case .update(let network, let servers):
                try NetavarkUpdate(configDirectory: configDirectory, aardvarkBinary: commandLine.aardvarkBinary,
                                   network: network, servers: servers, rootless: commandLine.rootless).run()
                return PluginAnswer(output: [], status: 0)
            }
        } catch {
            Log.error("failed: \(error)")
            return PluginAnswer(output: NetavarkJSON.encode(ErrorDocument(error: message(error))), status: 1)
        }
    }

    private static func readOptions(_ commandLine: NetavarkCommandLine, _ readInput: () -> [UInt8]) throws -> NetworkOptions {
        let bytes: [UInt8]
        if let path = commandLine.inputFile {
            guard let contents = try InputFile.read(path) else {
                throw PontoonError(.io, "cannot read --file \(path): no such file")
            }
            bytes = contents
        } else {
            bytes = readInput()
        }
        return try NetavarkJSON.decode(NetworkOptions.self, from: bytes)
    }

    /// `--firewall-driver`: nftables (the default), iptables or none.
    private static func firewallKind(_ name: String?) throws -> FirewallKind {
        guard let name, !name.isEmpty else { return .nftables }
        guard let kind = FirewallKind(rawValue: name) else {
            throw PontoonError(.invalidConfiguration, "unknown --firewall-driver \"\(name)\": expected nftables, iptables or none")
        }
        return kind
    }

    /// `NETAVARK_DNS_PORT`: where aardvark-dns listens (53 when unset or empty, as with netavark).
    static func dnsPort(_ environment: [String: String]) throws -> UInt16 {
        guard let text = environment["NETAVARK_DNS_PORT"], !text.isEmpty else { return 53 }
        guard text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let port = UInt16(text), port >= 1 else {
            throw PontoonError(.invalidConfiguration, "NETAVARK_DNS_PORT \"\(text)\" is not a port number (1-65535)")
        }
        return port
    }

    /// `PONTOON_LOG_FILE`/`PONTOON_LOG_LEVEL`, as in CNI mode; a bad path only means no log.
    private static func configureLog(_ environment: [String: String]) {
        guard let given = environment["PONTOON_LOG_FILE"], !given.isEmpty,
              let path = try? ConfigPath.validated(given, key: "PONTOON_LOG_FILE") else { return }
        let level = environment["PONTOON_LOG_LEVEL"].flatMap(Log.Level.init(name:)) ?? .info
        Log.configure(path: path, level: level, prefix: "netavark")
    }

    /// netavark prints one sentence; the engine's details follow it.
    static func message(_ error: any Error) -> String {
        if let error = error as? PontoonError { return error.description }
        return "\(error)"
    }
}

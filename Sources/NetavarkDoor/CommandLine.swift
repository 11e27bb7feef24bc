/// netavark 1.x's command line: global options, then a verb.
/// `[--config DIR] [--rootless BOOL] [--aardvark-binary PATH] [--firewall-driver NAME] [--file PATH] <verb>`,
/// or `--version` (`-V`).
public struct NetavarkCommandLine: Equatable, Sendable {
    public enum Verb: Equatable, Sendable {
        case setup(netns: String)
        case teardown(netns: String)
        case update(network: String, dnsServers: [String])
        case version
        /// `--version`: one line of text, not JSON. podman runs it for `podman info` (containers/
        /// common's ProgramVersion) and reports a failure there.
        case programVersion
    }

    public static let defaultConfigDirectory = "/run/containers/networks"
    public static let defaultAardvarkBinary = "/usr/lib/podman/aardvark-dns"

    public var configDirectory = defaultConfigDirectory
    public var rootless = false
    public var aardvarkBinary = defaultAardvarkBinary
    public var firewallDriver: String?
    public var inputFile: String?
    public var verb: Verb = .version

    public struct UsageError: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    public init(parsing arguments: [String]) throws(UsageError) {
        var rest = arguments[...]
        /// `--name value` or `--name=value`.
        func value(_ argument: String, _ name: String) throws(UsageError) -> String? {
            if argument == name {
                guard let next = rest.popFirst() else { throw UsageError(description: "\(name) needs a value") }
                return next
            }
            if argument.hasPrefix(name + "=") { return String(argument.dropFirst(name.count + 1)) }
            return nil
        }
        var verbName: String?
        while let argument = rest.popFirst() {
            if let v = try value(argument, "--config") {
                configDirectory = v
            } else if let v = try value(argument, "--rootless") {
                guard let flag = Bool(v) else { throw UsageError(description: "--rootless takes true or false, not \"\(v)\"") }
                rootless = flag
            } else if let v = try value(argument, "--aardvark-binary") {
                aardvarkBinary = v
            } else if let v = try value(argument, "--firewall-driver") {
                firewallDriver = v
            } else if let v = try value(argument, "--file") {
                inputFile = v
            } else if let v = try value(argument, "-f") {
                inputFile = v
            } else if argument == "--version" || argument == "-V" {
                verb = .programVersion
                return
            } else if argument.hasPrefix("-") {
                throw UsageError(description: "unknown option \(argument)")
            } else {
                verbName = argument
                break
            }
        }
        switch verbName {
        case "setup", "teardown":
            guard let netns = rest.popFirst(), !netns.isEmpty else {
                throw UsageError(description: "\(verbName!) needs the container's network namespace path")
            }
            guard rest.isEmpty else { throw UsageError(description: "unexpected argument \(rest.first!)") }
            verb = verbName == "setup" ? .setup(netns: netns) : .teardown(netns: netns)
        case "update":
            guard let network = rest.popFirst() else { throw UsageError(description: "update needs a network name") }
            var servers: [String]?
            while let argument = rest.popFirst() {
                if let v = try value(argument, "--network-dns-servers") {
                    servers = (servers ?? []) + v.split(separator: ",").map(String.init)
                } else {
                    throw UsageError(description: "unexpected argument \(argument)")
                }
            }
            guard let servers else { throw UsageError(description: "update needs --network-dns-servers") }
            verb = .update(network: network, dnsServers: servers)
        case "version":
            guard rest.isEmpty else { throw UsageError(description: "unexpected argument \(rest.first!)") }
            verb = .version
        case nil:
            throw UsageError(description: "no command given: expected setup, teardown, update or version")
        case let other?:
            throw UsageError(description: "unknown command \"\(other)\": expected setup, teardown, update or version")
        }
    }
}

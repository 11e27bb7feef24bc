import ArgumentParser
import Foundation
import Netavark
import PontoonCtl

@main
struct PontoonCtlCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pontoonctl",
        abstract: "Container networking as a container engine does it: namespaces, plugins, status.",
        discussion: "Example: pontoonctl network create front && pontoonctl run web --network front -p 8080:80 && pontoonctl inspect web",
        version: "pontoonctl version \(PontoonCtlVersion.number)",
        subcommands: [NetworkCommand.self, Create.self, Run.self, Start.self, Stop.self, Restart.self, Remove.self, Reload.self, Connect.self, Disconnect.self,
                      Inspect.self, Stats.self, List.self, Exec.self, EventsCommand.self, PodCommand.self, RootlessNetNSCommand.self,
                      PortProxyCommand.self, VersionCommand.self])

    // Listed here once; every command takes them (hidden from its own help).
    @OptionGroup(title: "Global options") var global: GlobalOptions
}

// MARK: containers

/// What create and run take: a container's networks, ports and names.
struct ContainerOptions: ParsableArguments {
    @Argument(help: "The container's name.") var name: String
    @Option(name: [.customLong("network"), .customLong("net")], help: "NET[:ip=…,mac=…,interface=…,alias=…] (NET: a name, an ID or a unique ID prefix; repeatable), or one mode: private or bridge[:…] (the default network, podman, made on first use; also what no --network gives as root: rootless, no --network is slirp4netns, as podman), none (loopback only), host (no namespace), container:NAME, ns:PATH or slirp4netns[:…]. NET,NET,… names several networks at once.")
    var networks: [String] = []
    @Option(name: [.customShort("p"), .customLong("publish")], help: "[[hostIP:][hostPort[-end]]:]containerPort[-end][/proto] (no host port: a free one, picked at create); repeatable.")
    var ports: [String] = []
    @Option(name: .customLong("dns"), help: "A DNS server for resolv.conf; repeatable.") var dns: [String] = []
    @Option(help: "The container's host name, as its hosts file lists it beside its own addresses (no UTS namespace is made).") var hostname: String?
    @Option(help: "A static IPv4 address on the container's one network (the default network when --network names none).") var ip: String?
    @Option(help: "A static IPv6 address on the container's one network.") var ip6: String?
    @Option(name: .customLong("mac-address"), help: "The MAC address of the container's interface on its one network.") var macAddress: String?
    @Option(name: .customLong("network-alias"), help: "A DNS name of the container on every network it joins; repeatable.") var networkAliases: [String] = []
    @Option(help: "Rootless bridge containers: transparent (the default; pontoonctl's proxy, the client's address kept but a loopback client's), slirp4netns (slirp4netns forwards, the client's address kept) or rootlesskit (pontoonctl's proxy, the container sees its gateway).")
    var portHandler: String?
    @Option(help: "A running process whose network namespace start adopts (bind-mounted, then configured).") var pid: Int32?
    @Option(help: "create, run: join pod NAME's network namespace (its networks, ports and DNS name are the pod's); start starts the pod's infra if it is not running.") var pod: String?

    func request() throws(CtlError) -> ContainerOperations.CreateRequest {
        var request = ContainerOperations.CreateRequest(name: name)
        if let portHandler {
            guard let handler = Slirp4netnsOptions.PortHandler(rawValue: portHandler) else {
                throw CtlError(.usage, "--port-handler \"\(portHandler)\": use transparent, slirp4netns or rootlesskit")
            }
            request.portHandler = handler
        }
        for network in networks { try request.addNetwork(network) }
        request.networkFlags = ContainerNetworkFlags(ip: ip, ip6: ip6, mac: macAddress, aliases: networkAliases)
        for port in ports { request.ports += try PortMappings.parse(port) }
        request.dnsServers = dns
        request.hostname = hostname
        request.pid = pid
        request.pod = pod
        return request
    }
}

struct Create: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Record a container: its networks are set up by start (no namespace, no plugin call until then).",
        discussion: "Example: pontoonctl create web --network front -p 8080:80 && pontoonctl start web")
    @OptionGroup(visibility: .hidden) var global: GlobalOptions
    @OptionGroup var container: ContainerOptions

    func run() throws {
        let record = try perform { () throws(CtlError) in try global.containers.create(try container.request()) }
        print(record.id)
    }
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "create, then start: make a network namespace and attach every network to it.",
        discussion: "Example: pontoonctl run web --network front -p 8080:80")
    @OptionGroup(visibility: .hidden) var global: GlobalOptions
    @OptionGroup var container: ContainerOptions
    @OptionGroup var format: FormatOption

    func run() throws {
        let record = try perform { () throws(CtlError) in try global.containers.run(try container.request()) }
        if format.format == .json { Output.json(record.status) } else { Views.status(record) }
    }
}

struct Start: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make the container's network namespace (or adopt its process's) and set up its networks.",
        discussion: "Static addresses, MACs and interface names are kept; dynamic addresses are leased anew. Example: pontoonctl start web db")
    @OptionGroup(visibility: .hidden) var global: GlobalOptions
    @Argument(help: "The containers' names.") var names: [String]
    @OptionGroup var format: FormatOption

    func run() throws {
        var statuses: [String: [String: StatusBlock]] = [:]
        let failed = eachName(names) { name throws(CtlError) in
            let record = try global.containers.start(name)
            statuses[name] = record.status
            if format.format == .table { Views.status(record) }
        }
        if format.format == .json { Output.json(statuses) }
        if let failed { throw ExitCode(failed) }
    }
}

struct Stop: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Tear down every network and remove the namespace; the container stays, to be started again.",
        discussion: "Example: pontoonctl stop web && pontoonctl start web")
    @OptionGroup(visibility: .hidden) var global: GlobalOptions
    @Argument(help: "The containers' names.") var names: [String]

    func run() throws {
        var teardownFailed = false
        let failed = eachName(names) { name throws(CtlError) in
            let failures = try global.containers.stop(name)
            for failure in failures { FileHandle.standardError.write(Data("Error: stop \(name): \(failure)\n".utf8)) }
            teardownFailed = teardownFailed || !failures.isEmpty
            print(name)
        }
        if let failed { throw ExitCode(failed) }
        if teardownFailed { throw ExitCode(1) }
    }
}

struct Restart: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "stop, then start.", discussion: "Example: pontoonctl restart web")
    @OptionGroup(visibility: .hidden) var global: GlobalOptions
    @Argument(help: "The containers' names.") var names: [String]

    func run() throws {
        let failed = eachName(names) { name throws(CtlError) in
            let (_, failures) = try global.containers.restart(name)
            for failure in failures { Output.warn("restart \(name): stop: \(failure)") }
            print(name)
        }
        if let failed { throw ExitCode(failed) }
    }
}

struct EventsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events", abstract: "What happened: container create, start, stop, remove; pod create, remove; network connect, disconnect.",
        discussion: "Example: pontoonctl events --since 10m --format '{{.Status}} {{.Name}}'")
    @OptionGroup(visibility: .hidden) var global: GlobalOptions
    @Option(help: "Only events at or after: an RFC 3339 time, Unix seconds, or a duration ago (10m, 1h30m).") var since: String?
    @OptionGroup var format: ReportFormatOption

    func run() throws {
        let events = try perform { () throws(CtlError) -> [Event] in
            try global.containers.events(since: try since.map { text throws(CtlError) in try EventLog.parseSince(text, now: Date()) })
        }
        switch format.format {
        case .json: for event in events { print(ReportedEvent(event: event).line) }   // a line an event, as podman's
        case .table: for event in events { print(EventLog.describe(event)) }
        case .template: try Output.report(events.map(ReportedEvent.init), format.format, header: []) { _ in [] }
        }
    }
}

struct Remove: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rm", abstract: "Forget a container; a running one is refused unless --force, which stops it first.",
        discussion: "Example: pontoonctl rm --force web db")
    @OptionGroup(visibility: .hidden) var global: GlobalOptions
    @Argument(help: "The containers' names.") var names: [String]
    @Flag(help: "Stop a running container first, report teardown failures as warnings and exit 0; also remove the containers sharing its network namespace.")
    var force = false

    func run() throws {
        var teardownFailed = false
        let failed = eachName(names) { name throws(CtlError) in
            let failures = try global.containers.remove(name, force: force)
            for failure in failures {
                if force { Output.warn("rm \(name): \(failure)") } else {
                    FileHandle.standardError.write(Data("Error: rm \(name): \(failure)\n".utf8))
                    teardownFailed = true
                }
            }
            if failures.isEmpty || force { print(name) }
        }
        if let failed { throw ExitCode(failed) }
        if teardownFailed { throw ExitCode(1) }
    }
}

struct Reload: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Tear down and set up again with the same interfaces, MACs and addresses.",
                                                    discussion: "Example: pontoonctl reload --all (after a firewall flush)")
    @OptionGroup(visibility: .hidden) var global: GlobalOptions
    @Argument(help: "The containers' names.") var names: [String] = []
    @Flag(help: "Every running container with networks of its own.") var all = false
    @OptionGroup var format: FormatOption

    func validate() throws {
        guard all != !names.isEmpty else { throw ValidationError("give container names or --all, not both or neither") }
    }

    func run() throws {
        let targets = all ? global.containers.reloadTargets() : names
        var statuses: [String: [String: StatusBlock]] = [:]
        var failed = false
        for name in targets {
            do {
                let record = try perform { () throws(CtlError) in try global.containers.reload(name) }
                statuses[name] = record.status
                if format.format == .table { Views.status(record) }
            } catch { failed = true }
        }
        if format.format == .json { Output.json(statuses) }
        if failed { throw ExitCode(1) }
    }
}

struct Connect: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Attach a network: live on a running container, at the next start otherwise.",
                                                    discussion: "Example: pontoonctl connect db back --alias store --ip 10.89.1.9")
    @OptionGroup(visibility: .hidden) var global: GlobalOptions
    @Argument(help: "The container's name.") var name: String
    @Argument(help: "The network: its name, its ID or a prefix of the ID that no other network's ID has.") var network: String
    @Option(name: .customLong("alias"), help: "A DNS name of the container on this network; repeatable.") var aliases: [String] = []
    @Option(name: .customLong("ip"), help: "A static address on this network (IPv4 or IPv6); repeatable.") var ips: [String] = []
    @Option(help: "The interface's MAC address.") var mac: String?
    @Option(help: "The interface's name in the container (default: the first free ethN).") var interface: String?
    @OptionGroup var format: FormatOption

    func run() throws {
        let record = try perform { () throws(CtlError) in
            try global.containers.connect(name, AttachRequest(network: network, ips: ips, mac: mac, interface: interface, aliases: aliases))
        }
        // The network just attached is the record's last, by its name (`network` may be an ID prefix).
        let attached = record.networks.last?.network ?? network
        if format.format == .json { Output.json(record.status[attached]) } else { Views.status(record, only: attached) }
    }
}

struct Disconnect: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Detach one network from a container.",
                                                    discussion: "Example: pontoonctl disconnect db back")
    @OptionGroup(visibility: .hidden) var global: GlobalOptions
    @Argument(help: "The container's name.") var name: String
    @Argument(help: "The network: its name, its ID or a prefix of the ID that no other network's ID has.") var network: String
    @Flag(help: "Report a teardown failure as a warning and exit 0 (the network leaves the container either way).") var force = false

    func run() throws {
        try perform { () throws(CtlError) in try global.containers.disconnect(name, network: network, force: force) }
    }
}

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "podman's view of a container's networks: Id, Name, State, HostConfig.NetworkMode, NetworkSettings.",
        discussion: "Example: pontoonctl inspect web --format '{{.NetworkSettings.Networks.front.IPAddress}}'")
    @OptionGroup(visibility: .hidden) var global: GlobalOptions
    @Argument(help: "The container's name.") var name: String
    @OptionGroup var format: ReportFormatOption

    func run() throws {
        let (record, settings) = try perform { () throws(CtlError) in try global.containers.inspect(name) }
        let inspected = ["Id": AnyEncodable(record.id), "Name": AnyEncodable(record.name), "State": AnyEncodable(["Status": record.state.podmanStatus]),
                         "HostConfig": AnyEncodable(["NetworkMode": record.podmanNetworkMode]),
                         "NetworkSettings": AnyEncodable(settings)]
        try Output.report(inspected, format.format) { Views.inspect(record, settings) }
    }
}

struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Interface counters inside the container, per interface and summed, and podman's NET IO figure.",
                                                    discussion: "Example: pontoonctl stats web --format json")
    @OptionGroup(visibility: .hidden) var global: GlobalOptions
    @Argument(help: "The container's name.") var name: String
    @OptionGroup var format: FormatOption

    func run() throws {
        let (entries, io) = try perform { () throws(CtlError) in try global.containers.statsWithNetworkIO(name) }
        let total = InterfaceStatistics.sum(entries)
        if format.format == .json {
            Output.json(["interfaces": AnyEncodable(entries), "total": AnyEncodable(total), "podman": AnyEncodable(io)])
        } else {
            defer { print("NET IO (podman: the network status' interfaces): \(io.NetInput) B in / \(io.NetOutput) B out") }
            Output.table(["INTERFACE", "RX BYTES", "RX PACKETS", "RX ERRORS", "RX DROPPED", "TX BYTES", "TX PACKETS", "TX ERRORS", "TX DROPPED"],
                         (entries + [total]).map { e in
                             [e.interface] + [e.rxBytes, e.rxPackets, e.rxErrors, e.rxDropped, e.txBytes, e.txPackets, e.txErrors, e.txDropped].map(String.init)
                         })
        }
    }
}

/// Heterogeneous JSON objects for output.
struct AnyEncodable: Encodable {
    let value: any Encodable
    init(_ value: any Encodable) { self.value = value }
    func encode(to encoder: any Encoder) throws { try value.encode(to: encoder) }
}

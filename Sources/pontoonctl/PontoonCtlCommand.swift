import ArgumentParser
import Foundation
import Netavark
import PontoonCtl

@main
struct PontoonCtlCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pontoonctl",
        abstract: "Container networking as a container engine does it: namespaces, plugins, status.",
        subcommands: [NetworkCommand.self, Create.self, Remove.self, Reload.self, Connect.self, Disconnect.self,
                      Inspect.self, Stats.self, List.self, Exec.self, RootlessNetNSCommand.self, PortProxyCommand.self])

    @OptionGroup var global: GlobalOptions
}

// MARK: containers

struct Create: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Make a network namespace and attach every network to it.")
    @OptionGroup var global: GlobalOptions
    @Argument var name: String
    @Option(name: .customLong("network"), help: "NET[:ip=…,mac=…,interface=…,alias=…]; repeatable.") var networks: [String] = []
    @Option(name: [.customShort("p"), .customLong("publish")], help: "[hostIP:]hostPort[-end]:containerPort[-end][/proto]; repeatable.")
    var ports: [String] = []
    @Option(name: .customLong("dns"), help: "A DNS server for resolv.conf; repeatable.") var dns: [String] = []
    @Option var hostname: String?
    @Option(help: "Rootless bridge containers: transparent (the default; pontoonctl's proxy, the client's address kept but a loopback client's), slirp4netns (slirp4netns forwards, the client's address kept) or rootlesskit (pontoonctl's proxy, the container sees its gateway).")
    var portHandler: String?
    @OptionGroup var format: FormatOption

    func run() throws {
        let record = try perform { () throws(CtlError) -> ContainerRecord in
            var request = ContainerOperations.CreateRequest(name: name)
            if let portHandler {
                guard let handler = Slirp4netnsOptions.PortHandler(rawValue: portHandler) else {
                    throw CtlError(.usage, "--port-handler \"\(portHandler)\": use transparent, slirp4netns or rootlesskit")
                }
                request.portHandler = handler
            }
            for network in networks {
                if let mode = try NetworkMode.parse(network) {
                    guard request.mode == nil else { throw CtlError(.usage, "only one --network container:… or ns:… may be given") }
                    request.mode = mode
                } else {
                    request.networks.append(try AttachRequest.parse(network))
                }
            }
            for port in ports { request.ports += try PortMappings.parse(port) }
            request.dnsServers = dns
            request.hostname = hostname
            return try global.containers.create(request)
        }
        if format.format == .json { Output.json(record.status) } else { Views.status(record) }
    }
}

struct Remove: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Tear down every network and remove the namespace.")
    @OptionGroup var global: GlobalOptions
    @Argument var names: [String]
    @Flag(help: "Report teardown failures as warnings and exit 0; also remove the containers sharing its network namespace.")
    var force = false

    func run() throws {
        var failed = false
        for name in names {
            let failures = try perform { () throws(CtlError) in try global.containers.remove(name, force: force) }
            for failure in failures {
                if force { Output.warn("rm \(name): \(failure)") } else {
                    FileHandle.standardError.write(Data("Error: rm \(name): \(failure)\n".utf8))
                    failed = true
                }
            }
            if failures.isEmpty || force { print(name) }
        }
        if failed { throw ExitCode(1) }
    }
}

struct Reload: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Tear down and set up again with the same interfaces, MACs and addresses.")
    @OptionGroup var global: GlobalOptions
    @Argument var names: [String] = []
    @Flag var all = false
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
    static let configuration = CommandConfiguration(abstract: "Attach a network to a container that exists.")
    @OptionGroup var global: GlobalOptions
    @Argument var name: String
    @Argument var network: String
    @Option(name: .customLong("alias")) var aliases: [String] = []
    @Option(name: .customLong("ip")) var ips: [String] = []
    @Option var mac: String?
    @Option var interface: String?
    @OptionGroup var format: FormatOption

    func run() throws {
        let record = try perform { () throws(CtlError) in
            try global.containers.connect(name, AttachRequest(network: network, ips: ips, mac: mac, interface: interface, aliases: aliases))
        }
        if format.format == .json { Output.json(record.status[network]) } else { Views.status(record, only: network) }
    }
}

struct Disconnect: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Detach one network from a container.")
    @OptionGroup var global: GlobalOptions
    @Argument var name: String
    @Argument var network: String
    @Flag(help: "Forget the network even when its teardown failed.") var force = false

    func run() throws {
        try perform { () throws(CtlError) in try global.containers.disconnect(name, network: network, force: force) }
    }
}

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "podman's network settings of a container (JSON).")
    @OptionGroup var global: GlobalOptions
    @Argument var name: String
    @OptionGroup var format: FormatOption

    func run() throws {
        let (record, settings) = try perform { () throws(CtlError) in try global.containers.inspect(name) }
        if format.format == .json {
            Output.json(["Id": AnyEncodable(record.id), "Name": AnyEncodable(record.name), "NetworkSettings": AnyEncodable(settings)])
        } else {
            Views.inspect(record, settings)
        }
    }
}

struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Interface counters inside the container, per interface and summed.")
    @OptionGroup var global: GlobalOptions
    @Argument var name: String
    @OptionGroup var format: FormatOption

    func run() throws {
        let entries = try perform { () throws(CtlError) in try global.containers.statistics(name) }
        let total = InterfaceStatistics.sum(entries)
        if format.format == .json {
            Output.json(["interfaces": AnyEncodable(entries), "total": AnyEncodable(total)])
        } else {
            Output.table(["INTERFACE", "RX BYTES", "RX PACKETS", "RX ERRORS", "RX DROPPED", "TX BYTES", "TX PACKETS", "TX ERRORS", "TX DROPPED"],
                         (entries + [total]).map { e in
                             [e.interface] + [e.rxBytes, e.rxPackets, e.rxErrors, e.rxDropped, e.txBytes, e.txPackets, e.txErrors, e.txDropped].map(String.init)
                         })
        }
    }
}

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ps", abstract: "Containers, their networks, addresses and ports.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var format: FormatOption

    func run() throws {
        let records = try perform { () throws(CtlError) in try global.store.containers() }
        Output.list(records, format.format, header: ["ID", "NAME", "NETWORKS", "ADDRESSES", "PORTS"]) { record in
            [record.shortID, record.name, record.networkMode.map { "\($0)" } ?? record.networks.map(\.network).joined(separator: ","),
             Views.addresses(record).joined(separator: ","), Views.ports(record.ports).joined(separator: ", ")]
        }
    }
}

struct Exec: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run a command inside the container's network namespace.")
    @OptionGroup var global: GlobalOptions
    @Argument var name: String
    @Argument(parsing: .postTerminator) var command: [String] = []

    func run() throws {
        try perform { () throws(CtlError) in
            let record = try global.store.container(name)
            try NamespaceExec.exec(netns: record.netns, files: global.containers.filesDirectory(record), command)
        }
    }
}

/// Heterogeneous JSON objects for output.
struct AnyEncodable: Encodable {
    let value: any Encodable
    init(_ value: any Encodable) { self.value = value }
    func encode(to encoder: any Encoder) throws { try value.encode(to: encoder) }
}

import ArgumentParser
import Foundation
import Netavark
import PontoonCtl

struct NetworkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "network", abstract: "Manage networks.",
                                                    discussion: "Example: pontoonctl network create front --internal && pontoonctl network ls",
                                                    subcommands: [CreateNetwork.self, ListNetworks.self, InspectNetwork.self, RemoveNetwork.self])
}

struct CreateNetwork: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a bridge network.",
                                                    discussion: "Example: pontoonctl network create back --subnet 10.89.7.0/24 --ipv6")
    @OptionGroup(visibility: .hidden) var global: GlobalOptions
    @Argument(help: "The network's name.") var name: String
    @Option(name: .customLong("subnet"), help: "A subnet in CIDR form (default: a free /24); repeatable.") var subnets: [String] = []
    @Option(help: "The gateway of the first --subnet (default: its first host address).") var gateway: String?
    @Flag(help: "Also an IPv6 subnet (a random fd00::/8 /64 unless --subnet gives one).") var ipv6 = false
    @Flag(name: .customLong("internal"), help: "No route out: no masquerade and no default route in the containers.") var isInternal = false
    @Flag(name: .customLong("disable-dns"), help: "No aardvark-dns for this network (netavark backend): containers' names do not resolve on it.") var disableDNS = false
    @Option(name: .customLong("opt"), help: "mtu=N, vlan=N or isolate=true|false; repeatable.") var options: [String] = []
    @Option(help: "netavark (default) or cni.") var backend: String = "netavark"
    @Option(help: "bridge (default), macvlan or ipvlan (netavark backend; --opt parent=DEVICE mode=M mtu=N).") var driver: String = "bridge"
    @Option(help: "netavark: the plugin executable (default pontoon); cni: the conflist's plugin type (default pontoon).")
    var plugin: String?
    @OptionGroup var format: FormatOption

    func run() throws {
        let file = try perform { () throws(CtlError) -> NetworkFile in
            guard let kind = NetworkFile.Backend.Kind(rawValue: backend) else {
                throw CtlError(.usage, "--backend \"\(backend)\": expected netavark or cni")
            }
            var request = NetworkOperations.CreateRequest(name: name)
            request.subnets = subnets
            request.gateway = gateway
            request.ipv6 = ipv6
            request.internal = isInternal
            request.disableDNS = disableDNS
            request.options = options
            request.backend = kind
            request.plugin = plugin
            request.driver = driver
            return try NetworkOperations(store: global.store).create(request)
        }
        if format.format == .json { Output.json(file) } else { print(file.network.name) }
    }
}

struct ListNetworks: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls", abstract: "List networks.",
        discussion: "Example: pontoonctl network ls --format '{{.Name}} {{.NetworkInterface}}' (a template reads the network's fields and its backend)")
    @OptionGroup(visibility: .hidden) var global: GlobalOptions
    @OptionGroup var format: ReportFormatOption

    func run() throws {
        let files = try perform { () throws(CtlError) in try global.store.networks() }
        if case .template = format.format {
            return try Output.report(files.map(ReportedNetwork.init), format.format, header: []) { _ in [] }
        }
        try Output.report(files, format.format, header: ["NETWORK ID", "NAME", "BACKEND", "BRIDGE", "SUBNETS", "INTERNAL", "DNS"]) { file in
            // The ID's first 12 digits, as podman lists it; any unique prefix names the network.
            [String((file.network.id ?? "").prefix(12)), file.network.name, file.backend.type.rawValue + (file.backend.plugin.map { "(\($0))" } ?? ""),
             file.network.networkInterface ?? "", (file.network.subnets ?? []).map(\.subnet).joined(separator: ","),
             "\(file.network.internal ?? false)", "\(file.network.dnsEnabled ?? false)"]
        }
    }
}

struct InspectNetwork: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect", abstract: "Show a network's file: its netavark definition (network) and backend.",
        discussion: "Example: pontoonctl network inspect front --format '{{.NetworkInterface}} {{json .Subnets}}' (a template reads the network's fields and its backend)")
    @OptionGroup(visibility: .hidden) var global: GlobalOptions
    @Argument(help: "The network: its name, its ID or a prefix of the ID that no other network's ID has.") var name: String
    @Option(help: ArgumentHelp("json (default) or a Go template as podman's ({{.Name}}, {{.NetworkInterface}}, {{json .Subnets}}, {{.backend.type}}).",
                               valueName: "format"))
    var format: ReportFormat = .json

    func run() throws {
        let file = try perform { () throws(CtlError) in try global.store.network(name) }
        // No table: a network's file is shown as it is kept (json is the default).
        if case .template = format { return try Output.report(ReportedNetwork(file: file), format) {} }
        try Output.report(file, .json) {}
    }
}

struct RemoveNetwork: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove networks.",
                                                    discussion: "A name that fails is reported and the others are removed; the exit status is then 1. "
                                                        + "Example: pontoonctl network rm --force front back")
    @OptionGroup(visibility: .hidden) var global: GlobalOptions
    @Argument(help: "The networks: each a name, an ID or a prefix of the ID that no other network's ID has.") var names: [String]
    @Flag(help: "Disconnect the containers using it first.") var force = false

    func run() throws {
        let failed = eachName(names) { name throws(CtlError) in
            let disconnected = try NetworkOperations(store: global.store).remove(name, force: force, containers: global.containers)
            for container in disconnected { Output.warn("disconnected container \(container)") }
            print(name)
        }
        if let failed { throw ExitCode(failed) }
    }
}

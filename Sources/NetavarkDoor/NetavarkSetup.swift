import Netavark
import Pontoon

/// Where netavark mode keeps its own state under `--config`: attachment records and the leases
/// of networks podman sends without static IPs.
enum NetavarkState {
    static func records(_ configDirectory: String) -> String { configDirectory + "/pontoon" }
    static func leases(_ configDirectory: String) -> String { configDirectory + "/pontoon-ipam" }

    static func dns(_ configDirectory: String, binary: String) -> AardvarkDNS {
        AardvarkDNS(directory: configDirectory + "/aardvark-dns", lockDirectory: configDirectory + "/pontoon-dns", binary: binary)
    }
}

/// `setup <netns>`: every requested network, all or nothing.
struct NetavarkSetup {
    let configDirectory: String
    let aardvarkBinary: String
    let firewall: FirewallKind
    let netns: String
    let options: NetworkOptions

    func run() throws -> ([String: StatusBlock], () -> Void) {
        try Names.validateContainerID(options.containerID)
        let plans = try NetavarkPlans.make(options, netns: netns, configDirectory: configDirectory, firewall: firewall, forSetup: true)
        let driver = BridgeDriver(stateDirectory: NetavarkState.records(configDirectory))
        var made: [() -> Void] = []
        let undoAll = { for undo in made.reversed() { undo() } }
        var statuses: [String: StatusBlock] = [:]
        do {
            var additions: [AardvarkDNS.Addition] = []
            for plan in plans {
                let (result, undo) = try driver.add(plan.attachment, ipam: plan.allocator,
                                                    firewall: plan.attachment.network.firewall.driver(stateDirectory: NetavarkState.records(configDirectory)))
                made.append { undo() }
                statuses[plan.name] = plan.status(result)
                if let addition = plan.dnsAddition(result) { additions.append(addition) }
            }
            // Names resolve once every interface exists (aardvark answers on the gateways).
            let dns = NetavarkState.dns(configDirectory, binary: aardvarkBinary)
            // Undone also when adding fails part-way (entries written, then aardvark-dns would not start).
            if !additions.isEmpty {
                made.append { try? dns.remove(containerID: options.containerID, from: additions.map(\.network)) }
            }
            try dns.add(additions)
        } catch {
            // A later network failed: the earlier ones go too, so podman sees nothing half made.
            undoAll()
            throw error
        }
        return (statuses, undoAll)
    }
}

/// `teardown <netns>`: every named network, each attempted even when another fails; already gone
/// is fine. The first failure is reported.
struct NetavarkTeardown {
    let configDirectory: String
    let aardvarkBinary: String
    let firewall: FirewallKind
    let netns: String
    let options: NetworkOptions

    func run() throws {
        try Names.validateContainerID(options.containerID)
        let plans = try NetavarkPlans.make(options, netns: netns, configDirectory: configDirectory, firewall: firewall, forSetup: false)
        let driver = BridgeDriver(stateDirectory: NetavarkState.records(configDirectory))
        var firstError: (any Error)?
        do {
            try NetavarkState.dns(configDirectory, binary: aardvarkBinary)
                .remove(containerID: options.containerID, from: plans.filter(\.dnsEnabled).map(\.name))
        } catch {
            Log.error("removing DNS entries failed: \(error)")
            firstError = error
        }
        // The container's host ports, when a network torn down here held them.
        let records = RecordStore(stateDirectory: NetavarkState.records(configDirectory))
        let heldPorts = plans.lazy.compactMap { records.load(network: $0.name, id: $0.attachment.id) }
            .first { !($0.firewall?.hostPorts.isEmpty ?? true) }?.portMappings ?? []
        for plan in plans {
            do {
                try driver.delete(plan.attachment, ipam: plan.allocator, previous: nil)
            } catch {
                Log.error("teardown of network \(plan.name) failed: \(error)")
                if firstError == nil { firstError = error }
            }
        }
        if firstError == nil, !heldPorts.isEmpty {
            // `network disconnect` of the network holding the ports: they move to one the container stays on.
            do {
                if let network = try driver.handOverPorts(heldPorts, containerID: options.containerID, excluding: Set(plans.map(\.name))) {
                    Log.info("host ports of \(options.containerID) moved to network \(network)")
                }
            } catch {
                // What was asked (the teardown) is done; the ports just stop answering, as they did
                // before netavark's takeover was followed.
                Log.error("moving the host ports of \(options.containerID) to another network failed: \(error)")
            }
        }
        if let firstError { throw firstError }
    }
}

/// `update <network> --network-dns-servers a,b`: rewrite the upstream servers in the network's
/// aardvark-dns file and have aardvark-dns reload, as netavark 1.x does. A network no running
/// container has DNS entries on has no file: nothing to do (podman has already stored the servers
/// in the network's definition; they arrive with its next setup as `network_dns_servers`).
struct NetavarkUpdate {
    let configDirectory: String
    let aardvarkBinary: String
    let network: String
    let servers: [String]

    func run() throws {
        try Names.validateNetworkName(network)
        let addresses = try NetworkPlan.servers(servers, "update \(network): --network-dns-servers")
        _ = try NetavarkState.dns(configDirectory, binary: aardvarkBinary).updateNetworkDNSServers(network: network, servers: addresses)
    }
}

enum NetavarkPlans {
    /// Every network's plan, or the first reason one cannot be served; duplicate names and
    /// interface names are refused.
    static func make(_ options: NetworkOptions, netns: String, configDirectory: String, firewall: FirewallKind,
                     forSetup: Bool) throws -> [NetworkPlan] {
        guard !options.networks.isEmpty else {
            throw PontoonError(.invalidConfiguration, "no networks given")
        }
        var names = Set<String>(), interfaces = Set<String>()
        let portNetwork = portNetwork(options, configDirectory: configDirectory)
        return try options.networks.map { entry in
            guard names.insert(entry.name).inserted else {
                throw PontoonError(.invalidConfiguration, "network \(entry.name) is listed twice")
            }
            guard interfaces.insert(entry.options.interfaceName).inserted else {
                throw PontoonError(.invalidConfiguration, "interface_name \(entry.options.interfaceName) is used by two networks")
            }
            return try NetworkPlan(entry, request: options, netns: netns, leaseDirectory: NetavarkState.leases(configDirectory),
                                   firewall: firewall, servesPorts: entry.name == portNetwork, forSetup: forSetup)
        }
    }

    /// One container, one set of host ports: podman sends the container's whole port list with
    /// every setup, for each of its networks. netavark maps it on every network and the first
    /// rules win, so the ports keep answering through the network that mapped them first; pontoon
    /// maps them once, on that network: the request's first routed network, or none when the
    /// container already holds them on a network it joined earlier (`podman network connect`
    /// sends only the new network, with the same port list). Mapping them twice would refuse the
    /// container's own ports as taken (106); its disconnect leaves the first network's mapping.
    static func portNetwork(_ options: NetworkOptions, configDirectory: String) -> String? {
        guard !(options.portMappings ?? []).isEmpty,
              let first = options.networks.first(where: { options.networkInfo[$0.name]?.internal != true })?.name else { return nil }
        let elsewhere = RecordStore(stateDirectory: NetavarkState.records(configDirectory))
            .records(ofContainer: options.containerID, excluding: Set(options.networks.map(\.name)))
        return elsewhere.contains { !($0.firewall?.hostPorts.isEmpty ?? true) } ? nil : first
    }
}

import Netavark
import Pontoon

/// The setup or teardown request as one plan per network, built before anything is made.
enum NetavarkPlans {
    /// Every network's plan, or the first reason one cannot be served; duplicate names and
    /// interface names are refused.
    static func make(_ options: NetworkOptions, netns: String, configDirectory: String, firewall: FirewallKind,
                     forSetup: Bool, dnsPort: UInt16 = 53) throws -> [NetworkPlan] {
        guard !options.networks.isEmpty else {
            throw PontoonError(.invalidConfiguration, "no networks given")
        }
        var names = Set<String>(), interfaces = Set<String>()
        let portNetwork = portNetwork(options)
        return try options.networks.map { entry in
            guard names.insert(entry.name).inserted else {
                throw PontoonError(.invalidConfiguration, "network \(entry.name) is listed twice")
            }
            guard interfaces.insert(entry.options.interfaceName).inserted else {
                throw PontoonError(.invalidConfiguration, "interface_name \(entry.options.interfaceName) is used by two networks")
            }
            return try NetworkPlan(entry, request: options, netns: netns, leaseDirectory: NetavarkState.leases(configDirectory),
                                   firewall: firewall, servesPorts: entry.name == portNetwork, forSetup: forSetup, dnsPort: dnsPort)
        }
    }

    /// podman sends the container's whole port list with every setup; they are described on the
    /// request's first routed bridge network (netavark maps them on every network and the first rules
    /// win). Which network really holds them, and where they go when it leaves, is the engine's
    /// rule (`Engine.withHostPortsOwned`): a `network connect` leaves them where they are.
    static func portNetwork(_ options: NetworkOptions) -> String? {
        guard !(options.portMappings ?? []).isEmpty else { return nil }
        // macvlan and ipvlan networks are not routed by the host: never theirs.
        return options.networks.first(where: { options.networkInfo[$0.name].map { $0.internal != true && $0.driver == "bridge" } ?? false })?.name
    }
}

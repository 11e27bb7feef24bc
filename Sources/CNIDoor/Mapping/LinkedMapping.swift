import CNI
import Pontoon

/// A config for the reference `macvlan` or `ipvlan` plugin (`"type": "macvlan"`, pontoon linked
/// under that name), or `"type": "pontoon"` with `"driver": "macvlan"|"ipvlan"`: the keys `master`
/// (default: the default route's device), `linkInContainer` (the master is in the container's
/// namespace), `mode`, `mtu`, `ipam`, and the engine's macvlan/ipvlan
/// driver. No bridge, no masquerade, no firewall, no port mappings.
extension CNIRequest {
    /// The driver the config names, nil for a bridge config.
    public var linkedDriver: LinkedNetwork.Driver? {
        LinkedNetwork.Driver(rawValue: config.type ?? "") ?? config.driver.flatMap(LinkedNetwork.Driver.init(rawValue:))
    }

    func linkedNetwork(_ driver: LinkedNetwork.Driver) throws(CNIError) -> BridgeNetwork {
        let name = try networkName()
        var network = BridgeNetwork(name: name)
        if let master = config.master, !master.isEmpty, let problem = Names.interfaceNameProblem(master) {
            throw CNIError(.invalidNetworkConfig, "invalid master \"\(master)\": \(problem)")
        }
        do {
            network.linked = try LinkedNetwork(driver: driver, mode: config.mode, parent: config.master, network: name)
            network.linked?.parentInContainer = config.linkInContainer == true
        } catch {
            throw CNIError(error)
        }
        if let mtu = config.mtu, mtu != 0 {
            do { try NetworkLimits.validateMTU(mtu, key: "mtu") } catch { throw CNIError(error) }
            network.mtu = mtu
        }
        network.dns = try config.dns.map { dns throws(CNIError) in try dns.model(key: "dns") } ?? DNS()
        network.firewall = .none
        if command == .add || command == .check, !(config.runtimeConfig?.portMappings ?? []).isEmpty {
            throw CNIError(.unsupportedField, "runtimeConfig.portMappings cannot be served on a \(driver.rawValue) network",
                           details: "its containers are on the master's LAN, not behind the host")
        }
        if command == .add || command == .check, config.runtimeConfig?.bandwidth != nil {
            throw CNIError(.unsupportedField, "runtimeConfig.bandwidth is not supported", details: "Pontoon does not shape traffic")
        }
        return network
    }
}

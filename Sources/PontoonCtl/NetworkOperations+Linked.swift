import NetAddress
import Netavark

/// `network create --driver macvlan|ipvlan`: a network on the parent's LAN, served by the netavark
/// backend (a CNI conflist for it is not written yet). As podman does, `--opt parent=` becomes the network's
/// `network_interface`; its subnet is the LAN's, so it may (and usually does) overlap this host's
/// own routes, but not another network.
extension NetworkOperations {
    public static let linkedDrivers: [String: [String]] = ["macvlan": ["bridge", "private", "vepa", "passthru"], "ipvlan": ["l2", "l3", "l3s"]]

    func createLinked(_ request: CreateRequest) throws(CtlError) -> NetworkFile {
        let driver = request.driver
        guard let modes = Self.linkedDrivers[driver] else {
            throw CtlError(.usage, "--driver \"\(driver)\": expected bridge, macvlan or ipvlan")
        }
        guard request.backend == .netavark else {
            throw CtlError(.usage, "--driver \(driver) needs --backend netavark (pontoonctl writes macvlan and ipvlan conflists not yet)")
        }
        guard store.paths.rootless == nil else { throw CtlError(.usage, "--driver \(driver) needs root: the parent is a host device") }
        guard !request.subnets.isEmpty else {
            throw CtlError(.usage, "--driver \(driver) needs --subnet: the addresses are the parent's LAN's (pontoon has no DHCP)")
        }
        if request.interfaceName != nil { throw CtlError(.usage, "--driver \(driver) takes its parent as --opt parent=, not an interface name") }
        var options: [String: String] = [:]
        var parent = ""
        for option in request.options {
            let parts = option.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, ["parent", "mode", "mtu"].contains(parts[0]) else {
                throw CtlError(.usage, "--opt \"\(option)\": expected parent=DEVICE, mode=\(modes.joined(separator: "|")) or mtu=N for \(driver)")
            }
            switch parts[0] {
            case "parent": parent = parts[1]
            case "mode":
                guard modes.contains(parts[1]) else { throw CtlError(.usage, "--opt mode \"\(parts[1])\": expected \(modes.joined(separator: ", "))") }
                options["mode"] = parts[1]
            default:
                guard let value = Int(parts[1]), value == 0 || (68...65535).contains(value) else {
                    throw CtlError(.usage, "--opt mtu \"\(parts[1])\": expected 0 or 68-65535")
                }
                options["mtu"] = parts[1]
            }
        }
        var definitions: [Network.Subnet] = []
        for (index, text) in request.subnets.enumerated() {
            guard let subnet = IPNetwork(text), subnet.isNetworkAddress else {
                throw CtlError(.usage, "--subnet \"\(text)\" is not a CIDR subnet without host bits")
            }
            for other in try store.networks() {
                for given in other.network.subnets ?? [] where IPNetwork(given.subnet)?.masked.overlaps(subnet) == true {
                    throw CtlError(.conflict, "--subnet \(text) overlaps subnet \(given.subnet) of network \(other.network.name)")
                }
            }
            var gateway = SubnetPicker.firstHost(subnet)
            if index == 0, let given = request.gateway {
                guard let address = IPAddress(given), subnet.contains(address) else {
                    throw CtlError(.usage, "--gateway \(given) is not an address in \(subnet)")
                }
                gateway = address
            }
            definitions.append(Network.Subnet(subnet: "\(subnet)", gateway: gateway.map { "\($0)" }))
        }
        let network = Network(name: request.name, id: request.id ?? Names.randomHex(32), driver: driver, networkInterface: parent,
                              subnets: definitions, ipv6Enabled: definitions.contains { $0.subnet.contains(":") }, internal: request.internal,
                              dnsEnabled: false, options: options.isEmpty ? nil : options, ipamOptions: ["driver": "host-local"])
        let file = NetworkFile(network: network, backend: .init(type: .netavark, plugin: request.plugin))
        try store.saveNetwork(file)
        return file
    }
}

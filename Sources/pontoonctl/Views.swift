import Foundation
import Netavark
import PontoonCtl

/// The human tables.
enum Views {
    static func status(_ record: ContainerRecord, only network: String? = nil) {
        var rows: [[String]] = []
        for request in record.networks where network == nil || request.network == network {
            let status = record.status[request.network] ?? StatusBlock()
            for name in status.interfaces.keys.sorted() {
                let interface = status.interfaces[name]!
                rows.append([record.name, request.network, name, interface.macAddress,
                             interface.subnets.map(\.ipnet).joined(separator: ","),
                             interface.subnets.compactMap(\.gateway).joined(separator: ",")])
            }
        }
        Output.table(["CONTAINER", "NETWORK", "INTERFACE", "MAC", "ADDRESSES", "GATEWAYS"], rows)
    }

    static func addresses(_ record: ContainerRecord) -> [String] {
        record.networks.flatMap { request -> [String] in
            let status = record.status[request.network] ?? StatusBlock()
            return status.interfaces.keys.sorted().flatMap { status.interfaces[$0]!.subnets.map(\.ipnet) }
        }
    }

    static func ports(_ ports: [PortMapping]) -> [String] {
        ports.map { port in
            let count = port.range ?? 1
            let host = count > 1 ? "\(port.hostPort)-\(port.hostPort + count - 1)" : "\(port.hostPort)"
            let container = count > 1 ? "\(port.containerPort)-\(port.containerPort + count - 1)" : "\(port.containerPort)"
            let ip = (port.hostIP ?? "").isEmpty ? "0.0.0.0" : port.hostIP!
            return "\(ip.contains(":") ? "[\(ip)]" : ip):\(host)->\(container)/\(port.protocol)"
        }
    }

    static func inspect(_ record: ContainerRecord, _ settings: InspectNetworkSettings) {
        print("Name:       \(record.name)")
        print("Id:         \(record.id)")
        print("State:      \(record.state.podmanStatus)")
        print("SandboxKey: \(settings.SandboxKey)")
        if let mode = record.networkMode { print("Network:    \(mode)") }
        print("Ports:      \(settings.Ports.keys.sorted().flatMap { key in settings.Ports[key]!.map { "\($0.HostIp.isEmpty ? "0.0.0.0" : $0.HostIp):\($0.HostPort)->\(key)" } }.joined(separator: ", "))")
        if settings.Networks.isEmpty, !settings.basic.IPAddress.isEmpty || !settings.basic.GlobalIPv6Address.isEmpty {
            // A joined namespace: what is configured there, no networks of pontoonctl's.
            let basic = settings.basic
            print("Address:    \(basic.IPAddress)/\(basic.IPPrefixLen) via \(basic.Gateway)  \(basic.GlobalIPv6Address)/\(basic.GlobalIPv6PrefixLen) via \(basic.IPv6Gateway)  \(basic.MacAddress)")
        }
        Output.table(["NETWORK", "IPADDRESS", "GATEWAY", "IPV6", "IPV6 GATEWAY", "MAC", "ALIASES"],
                     settings.Networks.keys.sorted().map { name in
                         let entry = settings.Networks[name]!
                         let v4 = entry.basic.IPAddress.isEmpty ? "" : "\(entry.basic.IPAddress)/\(entry.basic.IPPrefixLen)"
                         let v6 = entry.basic.GlobalIPv6Address.isEmpty ? "" : "\(entry.basic.GlobalIPv6Address)/\(entry.basic.GlobalIPv6PrefixLen)"
                         return [name, v4, entry.basic.Gateway, v6, entry.basic.IPv6Gateway, entry.basic.MacAddress,
                                 entry.Aliases.joined(separator: ",")]
                     })
    }
}

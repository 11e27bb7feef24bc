import Foundation
import Netlink

/// Per-interface counters of a container, read over rtnetlink inside its namespace (IFLA_STATS64).
public struct InterfaceStatistics: Codable, Sendable, Equatable {
    public var interface: String
    public var rxBytes: UInt64 = 0
    public var rxPackets: UInt64 = 0
    public var rxErrors: UInt64 = 0
    public var rxDropped: UInt64 = 0
    public var txBytes: UInt64 = 0
    public var txPackets: UInt64 = 0
    public var txErrors: UInt64 = 0
    public var txDropped: UInt64 = 0

    public init(interface: String) { self.interface = interface }

    /// Every interface but loopback, sorted by name.
    public static func read(netns: String) throws(CtlError) -> [InterfaceStatistics] {
        do {
            let namespace = try NetworkNamespace(path: netns)
            let socket = try RouteSocket(in: namespace)
            return try socket.links().filter { $0.name != "lo" }.sorted { $0.name < $1.name }.map { link in
                var entry = InterfaceStatistics(interface: link.name)
                if let counters = link.statistics {
                    entry.rxBytes = counters.receivedBytes
                    entry.rxPackets = counters.receivedPackets
                    entry.rxErrors = counters.receiveErrors
                    entry.rxDropped = counters.receiveDropped
                    entry.txBytes = counters.transmittedBytes
                    entry.txPackets = counters.transmittedPackets
                    entry.txErrors = counters.transmitErrors
                    entry.txDropped = counters.transmitDropped
                }
                return entry
            }
        } catch {
            throw CtlError(.failed, "cannot read interface statistics in \(netns): \(error)")
        }
    }

    /// `ip -s -j link show`'s answer (its `stats64`), every interface but loopback, sorted by name:
    /// the same counters as `read`, for a namespace only a child process can enter.
    static func parse(iproute2 json: Data) throws(CtlError) -> [InterfaceStatistics] {
        guard let links = (try? JSONSerialization.jsonObject(with: json)) as? [[String: Any]] else {
            throw CtlError(.failed, "cannot read interface statistics: ip answered \"\(String(decoding: json.prefix(200), as: UTF8.self))\"")
        }
        return links.compactMap { link -> InterfaceStatistics? in
            guard let name = link["ifname"] as? String, name != "lo" else { return nil }
            var entry = InterfaceStatistics(interface: name)
            let stats = link["stats64"] as? [String: Any]
            let rx = stats?["rx"] as? [String: Any] ?? [:], tx = stats?["tx"] as? [String: Any] ?? [:]
            func counter(_ group: [String: Any], _ key: String) -> UInt64 { (group[key] as? NSNumber)?.uint64Value ?? 0 }
            entry.rxBytes = counter(rx, "bytes")
            entry.rxPackets = counter(rx, "packets")
            entry.rxErrors = counter(rx, "errors")
            entry.rxDropped = counter(rx, "dropped")
            entry.txBytes = counter(tx, "bytes")
            entry.txPackets = counter(tx, "packets")
            entry.txErrors = counter(tx, "errors")
            entry.txDropped = counter(tx, "dropped")
            return entry
        }.sorted { $0.interface < $1.interface }
    }

    public static func sum(_ entries: [InterfaceStatistics]) -> InterfaceStatistics {
        entries.reduce(into: InterfaceStatistics(interface: "total")) { total, entry in
            total.rxBytes += entry.rxBytes
            total.rxPackets += entry.rxPackets
            total.rxErrors += entry.rxErrors
            total.rxDropped += entry.rxDropped
            total.txBytes += entry.txBytes
            total.txPackets += entry.txPackets
            total.txErrors += entry.txErrors
            total.txDropped += entry.txDropped
        }
    }
}

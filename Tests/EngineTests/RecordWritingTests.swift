import NetAddress
@testable import Pontoon
import Testing
import WireCoding

/// The records the engine writes on every ADD, written without Codable (`WireJSON.write`, their
/// `wireValue` in RecordWriting.swift), against their Codable encoding (`WireJSON.encode`): byte
/// for byte, every optional absent and present, every enumeration case, and records read back
/// from text (a stored `"isolation":"off"` stays written as stored).
@Suite("Records written without Codable")
struct RecordWritingTests {
    static let texts = ["", "eth0", "quote \" backslash \\ slash /", "\u{0}\u{1f}\u{7f}", "é 𝄞"]
    static let v4 = IPAddress("10.88.0.2")!, v6 = IPAddress("fd00::2")!

    static var hostPorts: [FirewallAttachment.HostPort] {
        PortMapping.TransportProtocol.allCases.flatMap { transport in
            [FirewallAttachment.HostPort(hostIP: nil, hostPort: 8080, containerAddress: v4, containerPort: 80, transport: transport, count: 1),
             FirewallAttachment.HostPort(hostIP: v6, hostPort: 65535, containerAddress: v6, containerPort: 1, transport: transport, count: 10)]
        }
    }

    static var attachments: [FirewallAttachment] {
        texts.flatMap { text in
            let id = AttachmentID(containerID: text, ifName: text)
            return [FirewallAttachment(id: id, addresses: [], hostPorts: []),
                    FirewallAttachment(id: id, addresses: [v4, v6], hostPorts: hostPorts, hostInterface: text, mac: MACAddress("02:42:0a:58:00:02"))]
        }
    }

    static var networks: [FirewallNetwork] {
        var networks: [FirewallNetwork] = []
        for kind in FirewallKind.allCases {
            for isolation in [NetworkIsolation.off, .isolated, .strict] {
                for macSpoofCheck in [false, true] {
                    networks.append(FirewallNetwork(name: "net", bridge: "br0", kind: kind, subnets: [IPNetwork("10.88.0.0/16")!, IPNetwork("fd00::/64")!],
                                                    ipMasq: macSpoofCheck, isolation: isolation, macSpoofCheck: macSpoofCheck,
                                                    dnsRedirect: isolation == .off ? nil : DNSRedirect(port: 5354, addresses: [v4, v6])))
                }
            }
        }
        return networks
    }

    static func differences<T: Encodable & WireEncodable>(_ values: [T]) -> [String] {
        values.compactMap { value in
            let codable = WireJSON.encode(value), direct = WireJSON.write(value)
            guard codable != direct else { return nil }
            return "\(value):\n    Codable: \(String(decoding: codable, as: UTF8.self))\n    direct:  \(String(decoding: direct, as: UTF8.self))"
        }
    }

    @Test("attachment records")
    func attachmentRecords() {
        var records: [AttachmentRecord] = []
        for text in Self.texts {
            let id = AttachmentID(containerID: text, ifName: text)
            records.append(AttachmentRecord(id: id, network: text, netns: nil, bridge: text, hostInterface: text, containerMAC: nil,
                                            addresses: [], portMappings: []))
            records.append(AttachmentRecord(id: id, network: text, netns: text, bridge: text, hostInterface: text,
                                            containerMAC: MACAddress("aa:bb:cc:dd:ee:ff"), addresses: [IPNetwork("10.88.0.2/16")!, IPNetwork("fd00::2/64")!],
                                            portMappings: PortMapping.TransportProtocol.allCases.map {
                                                PortMapping(hostIP: Self.v4, hostPort: 8080, containerPort: 80, transport: $0, count: 3)
                                            } + [PortMapping(hostPort: 1, containerPort: 65535, transport: .udp)],
                                            firewall: Self.attachments.last))
        }
        let differences = Self.differences(records)
        #expect(differences.count == 0, "\(differences.prefix(5).joined(separator: "\n"))")
    }

    @Test("firewall members and network records, every kind, isolation and spoof check")
    func firewallRecords() throws {
        let attachments = Self.differences(Self.attachments)
        #expect(attachments.count == 0, "\(attachments.prefix(5).joined(separator: "\n"))")
        var records = Self.networks.map { FirewallMembership.Record(network: $0) }
        records.append(FirewallMembership.Record(network: Self.networks[0], members: ["a/eth0", "b/eth1"],
                                                 states: ["a/eth0": Self.attachments[1], "b/eth1": Self.attachments[0]]))
        // As read back from a record that spells the defaults out: written as stored.
        let stored = #"{"network":{"name":"n","bridge":"b","kind":"nftables","subnets":["10.0.0.0/8"],"ipMasq":true,"isolation":"off","macSpoofCheck":false}}"#
        records.append(try WireJSON.decode(FirewallMembership.Record.self, from: Array(stored.utf8)))
        let differences = Self.differences(records)
        #expect(differences.count == 0, "\(differences.prefix(5).joined(separator: "\n"))")
        #expect(String(decoding: WireJSON.write(records.last!), as: UTF8.self).contains(#""isolation":"off""#))
    }
}

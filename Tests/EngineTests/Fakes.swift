import Foundation
import NetAddress
@testable import Pontoon

/// What the engine asked of the firewall, in order, per driver kind.
final class FirewallLog: @unchecked Sendable {
    enum Call: Equatable {
        case add(kind: FirewallKind, network: String, first: Bool, hostPorts: [UInt16])
        case remove(kind: FirewallKind, network: String, last: Bool, hostPorts: [UInt16])
        case reload(kind: FirewallKind, network: String, attachments: Int)
    }
    var calls: [Call] = []

    var factory: FirewallFactory { FirewallFactory { RecordingFirewall(kind: $0, log: self) } }

    /// The host ports added on `network`, by every add call.
    func portsAdded(on network: String) -> [UInt16] {
        calls.flatMap { call -> [UInt16] in
            if case .add(_, network, _, let ports) = call { return ports }
            return []
        }
    }
}

/// A firewall that writes nothing and remembers every call.
struct RecordingFirewall: Firewall {
    let kind: FirewallKind
    let log: FirewallLog

    func add(_ attachment: FirewallAttachment, network: FirewallNetwork, firstInNetwork: Bool) throws {
        log.calls.append(.add(kind: kind, network: network.name, first: firstInNetwork, hostPorts: attachment.hostPorts.map(\.hostPort)))
    }

    func remove(_ attachment: FirewallAttachment, network: FirewallNetwork, lastInNetwork: Bool) throws {
        log.calls.append(.remove(kind: kind, network: network.name, last: lastInNetwork, hostPorts: attachment.hostPorts.map(\.hostPort)))
    }

    func check(_ attachment: FirewallAttachment, network: FirewallNetwork) throws {}

    func reload(network: FirewallNetwork, attachments: [FirewallAttachment]) throws {
        log.calls.append(.reload(kind: kind, network: network.name, attachments: attachments.count))
    }

    func readiness() throws {}
}

/// An allocator handing out `10.<n>.0.<k>/24` per network, remembering what is leased.
final class FakeAllocator: AddressAllocator, @unchecked Sendable {
    let subnet: UInt8
    var leased: [AttachmentID: IPAddress] = [:]
    private var next: UInt8 = 2

    init(subnet: UInt8) { self.subnet = subnet }

    func allocate(for id: AttachmentID, requesting requested: [IPAddress]) throws -> IPAMResult {
        let ip = IPAddress("10.\(subnet).0.\(next)")!
        next += 1
        leased[id] = ip
        return IPAMResult(addresses: [AssignedAddress(address: IPNetwork(address: ip, prefixLength: 24)!, gateway: IPAddress("10.\(subnet).0.1"))])
    }

    func release(_ id: AttachmentID) throws { leased[id] = nil }
    func check(_ id: AttachmentID, addresses: [IPAddress]) throws {}
    func garbageCollect(keeping valid: Set<AttachmentID>) throws {}
}

/// A network driver that makes no links: it leases, joins the firewall and writes the record the
/// way `BridgeDriver` does (the engine's policy reads those), and fails where it is told to.
struct FakeDriver: NetworkDriver {
    struct Refused: Error {}
    let records: RecordStore
    let firewalls: FirewallFactory
    let failing: Set<String>

    func add(_ attachment: Attachment, ipam: (any AddressAllocator)?) throws -> (result: AttachmentResult, undo: AttachmentUndo) {
        guard !failing.contains(attachment.network.name) else { throw Refused() }
        var rollback = Rollback()
        let leased = try ipam?.allocate(for: attachment.id, requesting: attachment.requestedIPs) ?? IPAMResult()
        rollback.add("lease") { try ipam?.release(attachment.id) }
        let addresses = leased.addresses.map(\.address)
        let firewalled = try FirewallStep(attachment: attachment, records: records, firewalls: firewalls)
            .join(addresses: addresses, gateways: [], hostInterface: "veth0", mac: nil, rollback: &rollback)
        try records.save(AttachmentRecord(id: attachment.id, network: attachment.network.name, netns: attachment.netnsPath,
                                          bridge: attachment.network.bridgeName, hostInterface: "veth0", containerMAC: nil,
                                          addresses: addresses, portMappings: attachment.portMappings, firewall: firewalled))
        rollback.add("record") { try records.remove(network: attachment.network.name, id: attachment.id) }
        let result = AttachmentResult(ips: leased.addresses.map { .init(interface: nil, address: $0.address, gateway: $0.gateway) })
        return (result, AttachmentUndo(rollback: rollback))
    }

    func delete(_ attachment: Attachment, ipam: (any AddressAllocator)?, previous: AttachmentResult?) throws {
        guard !failing.contains(attachment.network.name) else { throw Refused() }
        let record = records.load(network: attachment.network.name, id: attachment.id)
        let state = record?.firewall ?? (try? FirewallAttachment(id: attachment.id, addresses: [], mappings: attachment.portMappings))
        try FirewallStep.leave(attachment.id, attachment: state, network: attachment.network.name, records: records, firewalls: firewalls)
        try ipam?.release(attachment.id)
        try records.remove(network: attachment.network.name, id: attachment.id)
    }

    func check(_ attachment: Attachment, ipam: (any AddressAllocator)?, previous: AttachmentResult) throws {}
    func status(network: BridgeNetwork, ipam: (any AddressAllocator)?) throws {}
    func garbageCollect(network: BridgeNetwork, keeping valid: Set<AttachmentID>, ipam: (any AddressAllocator)?) throws {}
}

/// An engine over a temporary state directory, with the fakes above.
struct EngineFixture {
    let directory: String
    let log = FirewallLog()
    let records: RecordStore
    var failing: Set<String> = []

    init(directory: String) {
        self.directory = directory
        records = RecordStore(stateDirectory: directory)
    }

    var engine: Engine {
        let records = records, firewalls = log.factory, failing = failing
        return Engine(records: records, firewalls: firewalls) { _ in FakeDriver(records: records, firewalls: firewalls, failing: failing) }
    }

    /// `body` with a fixture over a state directory of its own, removed however `body` ends.
    static func with(_ body: (inout EngineFixture) throws -> Void) throws {
        let directory = NSTemporaryDirectory() + "pontoon-engine-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var fixture = EngineFixture(directory: directory)
        try body(&fixture)
    }

    static let tcp8080 = PortMapping(hostPort: 8080, containerPort: 80, transport: .tcp)

    func request(_ container: String, on network: String, firewall: FirewallKind = .nftables, ports: [PortMapping] = [],
                 ipam: FakeAllocator? = nil) -> AttachmentRequest {
        var definition = BridgeNetwork(name: network)
        definition.bridgeName = "br-" + network
        definition.ipMasq = true
        definition.firewall = firewall
        let attachment = Attachment(id: AttachmentID(containerID: container, ifName: "eth-" + network), netnsPath: "/run/netns/" + container,
                                    network: definition, portMappings: ports)
        return AttachmentRequest(attachment, ipam: ipam ?? FakeAllocator(subnet: UInt8(network.utf8.first! % 200)))
    }
}

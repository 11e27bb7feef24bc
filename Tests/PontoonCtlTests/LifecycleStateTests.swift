import Foundation
import Netavark
import Testing
@testable import PontoonCtl

/// The lifecycle's bookkeeping that needs no namespace: what create records, what survives a stop,
/// what connect and disconnect do to a container that is not running, and rm's refusals. Run on a
/// store in a scratch directory; nothing here makes a namespace or runs a plugin.
@Suite("container lifecycle state")
struct LifecycleStateTests {
    /// A store with one netavark network `front` (10.89.0.0/24) and a CNI one `cni`, in a fresh directory.
    final class Scratch {
        let path: String
        let operations: ContainerOperations
        var warnings: [String] { box.lines }
        private let box = Box()
        final class Box: @unchecked Sendable { var lines: [String] = [] }

        init() throws {
            path = NSTemporaryDirectory() + "lifecycle-" + UUID().uuidString
            let paths = ControlPaths(stateDirectory: path + "/state", configDirectory: path + "/config", netnsDirectory: path + "/netns",
                                     pluginDirectories: [], aardvarkBinary: "/nonexistent", selfDirectory: "/nonexistent")
            let store = Store(paths: paths)
            let box = box
            operations = ContainerOperations(store: store) { box.lines.append($0) }
            var network = Network(name: "front", driver: "bridge", networkInterface: "pt-front")
            network.subnets = [Network.Subnet(subnet: "10.89.0.0/24", gateway: "10.89.0.1")]
            try store.saveNetwork(NetworkFile(network: network, backend: .init(type: .netavark)))
            try store.saveNetwork(NetworkFile(network: Network(name: "cni", driver: "bridge"), backend: .init(type: .cni, conflist: "cni.conflist")))
        }

        deinit { try? FileManager.default.removeItem(atPath: path) }
    }

    static func request(_ name: String, _ networks: [String]) throws -> ContainerOperations.CreateRequest {
        var request = ContainerOperations.CreateRequest(name: name)
        request.networks = try networks.map { text throws -> AttachRequest in try AttachRequest.parse(text) }
        return request
    }

    @Test("create records the container as created: interfaces named, nothing reserved, no namespace; inspect says created")
    func createRecordsOnly() throws {
        let scratch = try Scratch()
        let record = try scratch.operations.create(Self.request("a", ["front:ip=10.89.0.7,mac=02:00:00:00:00:07", "cni"]))
        #expect(record.state == .created && record.state.podmanStatus == "created")
        #expect(record.netns.isEmpty && record.status.isEmpty)
        #expect(record.networks.map(\.interface) == ["eth0", "eth1"])
        #expect(record.networks[0].askedIPs == ["10.89.0.7"] && record.networks[0].askedMAC == "02:00:00:00:00:07")
        let ipam = scratch.path + "/state/ipam/front"
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: ipam)) ?? []).isEmpty, "no address is reserved before start")
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: scratch.path + "/netns")) ?? []).isEmpty)
        #expect(try scratch.operations.store.container("a").state == .created)
        #expect(scratch.operations.reloadTargets().isEmpty, "reload --all has nothing to reload in a created container")
    }

    @Test("create refuses before recording: a name taken, a network given twice, a bad address, a missing network, a missing or own container:")
    func createRefusals() throws {
        let scratch = try Scratch()
        _ = try scratch.operations.create(Self.request("a", ["front"]))
        let cases: [([String], String, String)] = [
            (["front"], "a", "already exists"),
            (["front", "front"], "b", "given twice"),
            (["front:ip=10.89.0.300x"], "b", "is not an IP address"),
            (["front:mac=01:00:00:00:00:01"], "b", "not a unicast MAC"),
            (["missing"], "b", "unable to find network with name or ID missing: network not found"),
        ]
        for (networks, name, message) in cases {
            #expect {
                _ = try scratch.operations.create(Self.request(name, networks))
            } throws: { error in
                "\(error)".contains(message)
            }
        }
        for (other, message) in [("missing", "no container with name \"missing\" found: no such container"), ("j", "cannot share its own")] {
            var joined = ContainerOperations.CreateRequest(name: "j")
            joined.mode = .container(other)
            let refusal = #expect(throws: CtlError.self) { _ = try scratch.operations.create(joined) }
            #expect(refusal?.description.contains(message) == true, "\(String(describing: refusal))")
        }
        #expect(scratch.operations.store.containerNames() == ["a"])
        // container:a is recorded, created, with a's ID: nothing joins until start.
        var joined = ContainerOperations.CreateRequest(name: "j")
        joined.mode = .container("a")
        let recorded = try scratch.operations.create(joined)
        let ownerID = try scratch.operations.store.container("a").id
        #expect(recorded.state == .created && recorded.netns.isEmpty && recorded.sharedNamespaceID == ownerID)
    }

    @Test("connect and disconnect on a created container only change its record, and are events")
    func connectWhileCreated() throws {
        let scratch = try Scratch()
        _ = try scratch.operations.create(Self.request("a", ["front"]))
        let connected = try scratch.operations.connect("a", AttachRequest(network: "cni", ips: [], mac: nil, interface: nil, aliases: ["db"]))
        #expect(connected.state == .created && connected.networks.map(\.network) == ["front", "cni"])
        #expect(connected.networks[1].interface == "eth1" && connected.networks[1].aliases.first == "db")
        let twice = #expect(throws: CtlError.self) {
            _ = try scratch.operations.connect("a", AttachRequest(network: "cni", ips: [], mac: nil, interface: nil, aliases: []))
        }
        #expect(twice?.description.contains("already connected") == true)
        try scratch.operations.disconnect("a", network: "front", force: false)
        #expect(try scratch.operations.store.container("a").networks.map(\.network) == ["cni"])
        let events = try scratch.operations.events().map { "\($0.action.type) \($0.action.rawValue) \($0.container) \($0.network ?? "-")" }
        #expect(events == ["container create a -", "network connect a cni", "network disconnect a front"])
    }

    @Test("rm of a created container forgets it without --force; start, stop and reload of joined or missing containers are refused clearly")
    func removeAndRefusals() throws {
        let scratch = try Scratch()
        _ = try scratch.operations.create(Self.request("a", ["front"]))
        #expect(try scratch.operations.remove("a").isEmpty)
        #expect(scratch.operations.store.containerNames().isEmpty)
        let missing = #expect(throws: CtlError.self) { _ = try scratch.operations.start("gone") }
        #expect(missing?.kind == .notFound)
        // A record as a running one would be: rm without --force is refused with podman's words, and nothing changes.
        var running = ContainerRecord(id: String(repeating: "a", count: 32), name: "r", netns: "")
        running.state = .running
        try scratch.operations.store.save(running)
        let refused = #expect(throws: CtlError.self) { _ = try scratch.operations.remove("r") }
        #expect(refused?.description == "cannot remove container r as it is running - running or paused containers cannot be removed without force")
        #expect(scratch.operations.store.containerNames() == ["r"])
        // Its reload needs a running container; a stopped one is told to start first.
        running.state = .stopped
        try scratch.operations.store.save(running)
        let reload = #expect(throws: CtlError.self) { _ = try scratch.operations.reload("r") }
        #expect(reload?.description.contains("is stopped, not running") == true)
        #expect(try scratch.operations.remove("r").isEmpty)
        // A joined namespace is left at stop, never removed: ns:PATH here is init's own.
        var joined = ContainerRecord(id: String(repeating: "b", count: 32), name: "j", netns: "/proc/1/ns/net", networkMode: .path("/proc/1/ns/net"))
        #expect(joined.state == .created)
        joined.state = .running
        try scratch.operations.store.save(joined)
        #expect(try scratch.operations.stop("j").isEmpty)
        let stopped = try scratch.operations.store.container("j")
        #expect(stopped.state == .stopped && stopped.netns.isEmpty)
    }

    @Test("what survives a stop: asked-for addresses and MACs and the interface; allocated ones go")
    func asAsked() {
        var request = NetworkRequest(network: "front", interface: "eth3", staticIPs: ["10.89.0.9"], staticMAC: "02:00:00:00:00:09")
        request.staticIPs = ["10.89.0.9", "fd00::9"]
        request.staticMAC = "02:11:22:33:44:55"
        let again = request.asAsked
        #expect(again.staticIPs == ["10.89.0.9"] && again.staticMAC == "02:00:00:00:00:09" && again.interface == "eth3")
        var dynamic = NetworkRequest(network: "front", interface: "eth0")
        dynamic.staticIPs = ["10.89.0.2"]
        #expect(dynamic.asAsked.staticIPs.isEmpty && dynamic.asAsked.staticMAC == nil)
    }

    @Test("a record written before containers could stop reads as running, its statics as asked; a new one is created")
    func olderRecords() throws {
        let old = #"{"id":"0123","name":"o","netns":"/run/netns/x","dnsServers":[],"ports":[],"status":{},"#
            + #""networks":[{"network":"front","interface":"eth0","aliases":[],"staticIPs":["10.89.0.4"]}]}"#
        let record = try JSONDecoder().decode(ContainerRecord.self, from: Data(old.utf8))
        #expect(record.state == .running)
        #expect(record.networks[0].asAsked.staticIPs == ["10.89.0.4"])
        var made = ContainerRecord(id: "1", name: "n", netns: "")
        #expect(made.state == .created)
        made.state = .stopped
        let again = try JSONDecoder().decode(ContainerRecord.self, from: JSONEncoder().encode(made))
        #expect(again.state == .stopped && again.state.podmanStatus == "exited")
    }
}

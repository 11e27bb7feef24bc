import Foundation
import Netavark
import Testing
@testable import PontoonCtl

/// What `-p` means beyond its syntax (a picked host port, internal networks, a port another
/// container holds), `--hostname`, and the lock files of names that do not exist.
@Suite("pontoonctl: publishing, host names, lock files")
struct PublishAndNamesTests {
    func mapping(_ host: Int, _ container: Int, _ range: Int = 1, _ proto: String = "tcp", ip: String = "") -> PortMapping {
        PortMapping(hostIP: ip, containerPort: container, hostPort: host, range: range, protocol: proto)
    }

    @Test("-p without a host port: host port 0 (picked at create), with its range, host IP and protocol")
    func parseWithoutHostPort() throws {
        #expect(try PortMappings.parse("80") == [mapping(0, 80)])
        #expect(try PortMappings.parse("80-82/udp") == [mapping(0, 80, 3, "udp")])
        #expect(try PortMappings.parse("127.0.0.1::80") == [mapping(0, 80, 1, "tcp", ip: "127.0.0.1")])
        #expect(try PortMappings.parse("[::1]::80/tcp,udp") == [mapping(0, 80, 1, "tcp", ip: "::1"), mapping(0, 80, 1, "udp", ip: "::1")])
        // Never sent on as it is: 0 is refused by the normalisation a record's ports go through.
        #expect(throws: CtlError.self) { try PortMappings.normalise([mapping(0, 80)]) }
    }

    @Test("two mappings share a host port when protocol, ranges and addresses meet", arguments: [
        (8080, 1, "tcp", "", 8080, 1, "tcp", "", 8080 as Int?),
        (8080, 3, "tcp", "", 8082, 2, "tcp", "", 8082),
        (8080, 3, "tcp", "", 8083, 2, "tcp", "", nil),
        (8080, 1, "tcp", "", 8080, 1, "udp", "", nil),
        (8080, 1, "tcp", "127.0.0.1", 8080, 1, "tcp", "", 8080),
        (8080, 1, "tcp", "127.0.0.1", 8080, 1, "tcp", "0.0.0.0", 8080),
        (8080, 1, "tcp", "127.0.0.1", 8080, 1, "tcp", "127.0.0.2", nil),
        (8080, 1, "tcp", "::1", 8080, 1, "tcp", "0.0.0.0", nil),
        (8080, 1, "tcp", "::1", 8080, 1, "tcp", "::", 8080),
    ] as [(Int, Int, String, String, Int, Int, String, String, Int?)])
    func sharedHostPort(aPort: Int, aRange: Int, aProto: String, aIP: String, bPort: Int, bRange: Int, bProto: String, bIP: String, shared: Int?) {
        let a = mapping(aPort, 80, aRange, aProto, ip: aIP), b = mapping(bPort, 90, bRange, bProto, ip: bIP)
        let forward = PortMappings.sharedHostPort(a, b), backward = PortMappings.sharedHostPort(b, a)
        #expect(forward == shared && backward == shared)
    }

    @Test("a picked host port range is free: every port binds, none is one another container publishes")
    func picked() throws {
        let taken = [mapping(1, 80, 65535 - 1)]   // every port but 65535: nothing can be picked
        let none = #expect(throws: CtlError.self) { try HostPortPicker.pick(mapping(0, 80), avoiding: taken) }
        #expect(none?.description == "failed to find an open port to expose container port 80 on the host")
        let port = try HostPortPicker.pick(mapping(0, 80, 3), avoiding: [])
        #expect((1024...65533).contains(port))
        for candidate in port..<(port + 3) {
            let free = HostPortPicker.isFree(candidate, udp: false, hostIP: "")
            #expect(free, "port \(candidate) of the picked range is not free")
        }
    }

    @Test("--hostname must be a DNS name", arguments: [
        ("web", true), ("web.example.org", true), ("a-b.c1", true), ("", false), ("a b", false),
        ("web\n10.0.0.1 evil", false), ("-web", false), ("web-", false), ("a..b", false), ("my_pod", true),
        (String(repeating: "a", count: 64), false),
    ])
    func hostname(name: String, valid: Bool) {
        let accepted = (try? Names.validateHostname(name)) != nil
        #expect(accepted == valid)
    }

    /// A scratch store and the operations on it (nothing here runs a plugin or makes a namespace).
    func scratch() throws -> (ContainerOperations, String) {
        let directory = FileManager.default.temporaryDirectory.path + "/pontoonctl-publish-\(UUID().uuidString)"
        let paths = ControlPaths(stateDirectory: directory + "/state", configDirectory: directory + "/config", netnsDirectory: directory + "/ns",
                                 pluginDirectories: [], aardvarkBinary: "", selfDirectory: directory)
        return (ContainerOperations(store: Store(paths: paths)) { _ in }, directory)
    }

    func locks(_ operations: ContainerOperations) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: operations.store.paths.locksDirectory))?.filter { $0.hasPrefix("container-") }.sorted() ?? []
    }

    @Test("-p on internal networks only is refused naming them, and leaves neither record nor lock; one network not internal publishes")
    func internalOnly() throws {
        let (operations, directory) = try scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let networks = NetworkOperations(store: operations.store)
        for (name, isInternal) in [("front", true), ("back", true), ("out", false)] {
            var request = NetworkOperations.CreateRequest(name: name)
            request.internal = isInternal
            _ = try networks.create(request)
        }
        var web = ContainerOperations.CreateRequest(name: "web")
        web.networks = [AttachRequest(network: "front"), AttachRequest(network: "back")]
        web.ports = try PortMappings.parse("8080:80")
        let error = #expect(throws: CtlError.self) { try operations.create(web) }
        #expect(error?.kind == .usage)
        #expect(error?.description == "cannot publish ports (-p) of container web: its networks front, back are internal, "
            + "and an internal network forwards no port; add a network that is not --internal")
        #expect(operations.store.containerNames() == [] && locks(operations) == [])

        web.networks.append(AttachRequest(network: "out"))
        let record = try operations.create(web)
        #expect(record.ports == [mapping(8080, 80)])
        #expect(locks(operations) == ["container-web"])
    }

    @Test("commands for a name that does not exist say so as podman does and leave no lock file")
    func noLockForMissingNames() throws {
        let (operations, directory) = try scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let message = "no container with name \"ghost\" found: no such container"
        let attempts: [(String, () throws(CtlError) -> Void)] = [
            ("rm", { () throws(CtlError) in _ = try operations.remove("ghost", force: false) }),
            ("rm --force", { () throws(CtlError) in _ = try operations.remove("ghost", force: true) }),
            ("stop", { () throws(CtlError) in _ = try operations.stop("ghost") }),
            ("start", { () throws(CtlError) in _ = try operations.start("ghost") }),
            ("restart", { () throws(CtlError) in _ = try operations.restart("ghost") }),
            ("inspect", { () throws(CtlError) in _ = try operations.inspect("ghost") }),
            ("disconnect", { () throws(CtlError) in try operations.disconnect("ghost", network: "front", force: false) }),
            ("reload", { () throws(CtlError) in _ = try operations.reload("ghost") }),
        ]
        for (verb, attempt) in attempts {
            var caught: CtlError?
            do throws(CtlError) { try attempt() } catch { caught = error }
            #expect(caught?.description.contains(message) == true, "\(verb): \(String(describing: caught))")
            #expect(locks(operations) == [], "\(verb) left a lock file")
        }
        // A create refused after its lock was taken (a bad --dns) leaves none either.
        var bad = ContainerOperations.CreateRequest(name: "ghost")
        bad.dnsServers = ["not-an-address"]
        #expect(throws: CtlError.self) { try operations.create(bad) }
        #expect(locks(operations) == [] && operations.store.containerNames() == [])
    }
}

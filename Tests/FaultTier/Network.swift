import Foundation

/// The plain network the kill, sweep and concurrency parts attach to, inside a worker's world.
struct TestNetwork {
    let name: String
    let bridge: String
    let subnets: [String]
    let plugin: String

    func config(version: String = "1.1.0", extra: [(String, JSON)] = []) -> [UInt8] {
        let ranges = JSON.array(subnets.map { .array([.object([("subnet", .string($0))])]) })
        let ipam = JSON.object([("type", .string("host-local")), ("dataDir", .string("/tmp/fz/data")), ("ranges", ranges),
                                ("routes", .array([.object([("dst", .string("0.0.0.0/0"))])]))])
        return JSON.object([("cniVersion", .string(version)), ("name", .string(name)), ("type", .string("pontoon")),
                            ("bridge", .string(bridge)), ("isGateway", .bool(true)), ("stateDir", .string("/tmp/fz/state")),
                            ("ipam", ipam)] + extra).bytes
    }

    func call(_ command: String, id: String, container: String, ifName: String = "eth0") -> CNICall {
        CNICall(command: command, containerID: id, netns: "/run/netns/" + container, ifName: ifName, config: config())
    }

    /// GC as a 1.1.0 runtime sends it: everything not listed may go.
    func garbageCollect(keeping: [(id: String, ifName: String)]) -> CNICall {
        let valid = JSON.array(keeping.map { .object([("containerID", .string($0.id)), ("ifname", .string($0.ifName))]) })
        var call = CNICall(command: "GC", containerID: "gc", netns: nil, config: config(extra: [("cni.dev/valid-attachments", valid)]))
        call["CNI_CONTAINERID"] = nil
        call["CNI_IFNAME"] = nil
        return call
    }

    var allowed: AllowedPaths { AllowedPaths(directories: ["/tmp/fz/state", "/tmp/fz/data"]) }
}

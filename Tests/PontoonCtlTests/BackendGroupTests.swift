import Netavark
import Testing
@testable import PontoonCtl

@Suite("pontoonctl's grouping of a container's networks by backend")
struct BackendGroupTests {
    static let paths = ControlPaths(stateDirectory: "/state", configDirectory: "/config", netnsDirectory: "/netns",
                                    pluginDirectories: [], aardvarkBinary: "/aardvark", selfDirectory: "/bin")

    static func entry(_ name: String, _ backend: NetworkFile.Backend) -> NetworkEntry {
        (NetworkRequest(network: name, interface: "eth-" + name), NetworkFile(network: Network(name: name), backend: backend))
    }

    /// What serves a group, as text: `netavark PLUGIN` or `cni NETWORK`.
    static func describe(_ group: BackendGroup) -> String {
        if let backend = group.backend as? NetavarkBackend { return "netavark \(backend.plugin): " + names(group) }
        if let backend = group.backend as? CNIBackend { return "cni \(backend.file.network.name): " + names(group) }
        return "?"
    }

    static func names(_ group: BackendGroup) -> String { group.networks.map(\.request.network).joined(separator: ",") }

    @Test("netavark networks of one plugin in one call, each CNI network alone; set up in order, torn down in reverse")
    func grouping() {
        let entries = [
            Self.entry("a", .init(type: .netavark)), Self.entry("c1", .init(type: .cni, conflist: "c1.conflist")),
            Self.entry("b", .init(type: .netavark, plugin: "pontoon")),
            Self.entry("n", .init(type: .netavark, plugin: "/usr/lib/podman/netavark")),
            Self.entry("c2", .init(type: .cni, conflist: "c2.conflist")),
        ]
        #expect(BackendGroup.groups(entries, paths: Self.paths).map(Self.describe)
                == ["netavark pontoon: a,b", "cni c1: c1", "netavark /usr/lib/podman/netavark: n", "cni c2: c2"])
        #expect(BackendGroup.teardownOrder(entries, paths: Self.paths).map(Self.describe)
                == ["cni c2: c2", "netavark /usr/lib/podman/netavark: n", "netavark pontoon: a,b", "cni c1: c1"])
        let netavark = NetworkFile.Backend(type: .netavark).implementation.callerAllocatesAddresses
        let cni = NetworkFile.Backend(type: .cni).implementation.callerAllocatesAddresses
        #expect(netavark && !cni)
    }
}

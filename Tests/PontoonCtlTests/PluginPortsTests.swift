import Netavark
import Testing
@testable import PontoonCtl

@Suite("published ports as plugins get them")
struct PluginPortsTests {
    static let ports = [PortMapping(hostIP: "127.0.0.1", containerPort: 80, hostPort: 8080, protocol: "tcp"),
                        PortMapping(hostIP: "", containerPort: 53, hostPort: 5353, range: 2, protocol: "udp")]

    static func paths(rootless: Bool) -> ControlPaths {
        ControlPaths(stateDirectory: "/state", configDirectory: "/config", netnsDirectory: "/netns", pluginDirectories: [],
                     aardvarkBinary: "/aardvark", selfDirectory: "/bin",
                     rootless: rootless ? RootlessEnvironment(uid: 1000, gid: 1000, user: "alice", environment: ["XDG_RUNTIME_DIR": "/run/user/1000"])
                                        : nil)
    }

    @Test("root: as published; rootless: on any address of the rootless netns, where slirp4netns delivers them, in both protocols")
    func rootlessPorts() throws {
        #expect(Self.paths(rootless: false).pluginPorts(Self.ports) == Self.ports)
        let rootless = Self.paths(rootless: true)
        let forwarded = rootless.pluginPorts(Self.ports)
        #expect(forwarded.map(\.hostIP) == ["", ""])
        #expect(forwarded.map(\.hostPort) == [8080, 5353] && forwarded.map(\.containerPort) == [80, 53] && forwarded[1].range == 2)
        // netavark 1.4.0 refuses a port mapping without host_ip: the field is sent, empty.
        var record = ContainerRecord(id: "c0ffee", name: "web", netns: "/netns/x")
        record.ports = Self.ports
        let options = NetavarkBackend(paths: rootless, plugin: "pontoon").options(record, [])
        let json = String(decoding: Store.encode(options), as: UTF8.self).split(whereSeparator: \.isWhitespace).joined()
        #expect(json.contains("\"host_ip\":\"\"") && !json.contains("127.0.0.1"), "\(json)")
    }
}

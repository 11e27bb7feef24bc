import Foundation
import Netavark
import Testing
@testable import PontoonCtl

@Suite("pontoonctl port proxy: what it is asked to serve")
struct PortProxyTests {
    @Test("-p mappings become one listener per host port, 0.0.0.0 by default, IPv6 host addresses kept")
    func forwards() throws {
        let forwards = try PortProxySpec.forwards([
            PortMapping(hostIP: "", containerPort: 80, hostPort: 8080, range: 2, protocol: "tcp"),
            PortMapping(hostIP: "2001:db8::1", containerPort: 53, hostPort: 5353, protocol: "udp"),
        ])
        #expect(forwards.map(\.listener) == ["0.0.0.0:8080/tcp", "0.0.0.0:8081/tcp", "[2001:db8::1]:5353/udp"])
        #expect(forwards.map(\.targetPort) == [80, 81, 53])
    }

    @Test("sctp is refused: the proxy carries TCP and UDP only")
    func sctp() {
        #expect(throws: CtlError.self) { try PortProxySpec.forwards([PortMapping(containerPort: 80, hostPort: 80, protocol: "sctp")]) }
    }

    @Test("transparent mode binds a client's address of the target's family, never a loopback one; slirp4netns's own port_handler has no transparent")
    func transparentSource() {
        #expect(ProxySocket.canBindTransparently("198.51.100.2", to: "10.88.0.2"))
        #expect(!ProxySocket.canBindTransparently("127.0.0.1", to: "10.88.0.2"))
        #expect(!ProxySocket.canBindTransparently("127.1.2.3", to: "10.88.0.2"))
        #expect(!ProxySocket.canBindTransparently("::1", to: "fd00::2"))
        #expect(ProxySocket.canBindTransparently("2001:db8::5", to: "fd00::2"))
        #expect(!ProxySocket.canBindTransparently("2001:db8::5", to: "10.88.0.2"))
        #expect(throws: CtlError.self) { try Slirp4netnsOptions.parse("port_handler=transparent") }
    }

    @Test("the proxy connects to slirp4netns's guest address: the network's address + 100")
    func guest() throws {
        #expect(Slirp4netnsOptions().guestAddress == "10.0.2.100")
        #expect(try Slirp4netnsOptions.parse("cidr=10.5.0.0/24").guestAddress == "10.5.0.100")
    }
}

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

    @Test("the proxy connects to slirp4netns's guest address: the network's address + 100")
    func guest() throws {
        #expect(Slirp4netnsOptions().guestAddress == "10.0.2.100")
        #expect(try Slirp4netnsOptions.parse("cidr=10.5.0.0/24").guestAddress == "10.5.0.100")
    }
}

import Netavark
import Testing
@testable import PontoonCtl

@Suite("pontoonctl port mappings")
struct PortMappingTests {
    func mapping(_ host: Int, _ container: Int, _ range: Int = 1, _ proto: String = "tcp", ip: String = "") -> PortMapping {
        PortMapping(hostIP: ip, containerPort: container, hostPort: host, range: range, protocol: proto)
    }

    @Test("parse: host IP, ranges, IPv6 in brackets, several protocols")
    func parse() throws {
        #expect(try PortMappings.parse("8080:80") == [mapping(8080, 80)])
        #expect(try PortMappings.parse("127.0.0.1:8080-8082:80-82/udp") == [mapping(8080, 80, 3, "udp", ip: "127.0.0.1")])
        #expect(try PortMappings.parse("[::1]:53:53/tcp,udp") == [mapping(53, 53, 1, "tcp", ip: "::1"), mapping(53, 53, 1, "udp", ip: "::1")])
    }

    @Test("parse rejects bad protocols, port 0, ports above 65535, mismatched ranges", arguments: [
        ("8080:80/icmp", "unknown protocol \"icmp\""),
        ("0:80", "must not be 0"),
        ("8080:0", "must not be 0"),
        ("70000:80", "above 65535"),
        ("8080-8081:80", "the host range has 2 ports and the container range 1"),
        ("1.2.3.4:1:2:3", "is not [[hostIP:][hostPort[-end]]:]containerPort"),
        ("nope:8080:80", "is not an IP address"),
        ("8082-8080:80-82", "ends before it starts"),
    ])
    func parseErrors(input: String, message: String) {
        #expect { try PortMappings.parse(input) } throws: { ($0 as? CtlError)?.description.contains(message) == true }
    }

    @Test("adjacent ports merge into one range")
    func adjacent() throws {
        #expect(try PortMappings.normalise([mapping(8081, 81), mapping(8080, 80), mapping(8082, 82)]) == [mapping(8080, 80, 3)])
        // Adjacent host ports to non-adjacent container ports stay apart.
        #expect(try PortMappings.normalise([mapping(8080, 80), mapping(8081, 90)]) == [mapping(8080, 80), mapping(8081, 90)])
    }

    @Test("overlapping ranges become one; duplicates vanish")
    func overlapping() throws {
        #expect(try PortMappings.normalise([mapping(8080, 80, 3), mapping(8082, 82, 3)]) == [mapping(8080, 80, 5)])
        #expect(try PortMappings.normalise([mapping(8080, 80), mapping(8080, 80), mapping(8080, 80)]) == [mapping(8080, 80)])
    }

    @Test("mixed protocols: tcp,udp split, each protocol merged on its own, sorted by host IP then protocol")
    func mixed() throws {
        let result = try PortMappings.normalise([mapping(53, 53, 1, "udp,tcp"), mapping(54, 54, 1, "udp"), mapping(80, 80, 1, "tcp", ip: "10.0.0.1")])
        #expect(result == [mapping(53, 53, 1, "tcp"), mapping(53, 54 - 1, 2, "udp"), mapping(80, 80, 1, "tcp", ip: "10.0.0.1")])
    }

    @Test("one host port to two container ports is refused")
    func conflicting() {
        #expect { try PortMappings.normalise([mapping(8080, 80), mapping(8080, 81)]) } throws: {
            ($0 as? CtlError)?.description == "host port 8080/tcp is mapped to both container port 80 and 81"
        }
        #expect { try PortMappings.normalise([mapping(65535, 80, 2)]) } throws: { ($0 as? CtlError)?.description.contains("above 65535") == true }
    }
}

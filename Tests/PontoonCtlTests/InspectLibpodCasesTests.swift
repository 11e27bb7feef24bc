import NetAddress
import Netavark
import Testing
@testable import PontoonCtl

/// inspect's mapping against the cases libpod's own tests give `resultToBasicNetworkConfig`
/// (secondary addresses of each family, one family alone), and the cases issue 17 names that the
/// other mapping tests leave out: a stopped container on several networks, and a joined namespace
/// whose interfaces have no usable address. Each compares the whole block, as libpod's DeepEqual does.
@Suite("pontoonctl inspect: libpod's resultToBasicNetworkConfig cases, stopped, joined without addresses")
struct InspectLibpodCasesTests {
    typealias Basic = InspectNetworkSettings.Basic

    static func interface(_ subnets: [(String, String?)], mac: String = "") -> StatusBlock.NetInterface {
        .init(macAddress: mac, subnets: subnets.map { .init(ipnet: $0.0, gateway: $0.1) })
    }

    static func expected(_ fill: (inout Basic) -> Void) -> Basic {
        var basic = Basic()
        fill(&basic)
        return basic
    }

    /// libpod's four cases: an interface with no MAC, a first address with a gateway and the rest
    /// without, each of another prefix length; one family only, so the other family's fields stay empty.
    static let secondaryCases: [(String, StatusBlock, Basic)] = [
        ("one secondary IPv4", StatusBlock(interfaces: ["eth1": interface([("172.26.0.2/20", "172.26.0.1"), ("172.26.0.3/10", nil)])]),
         expected {
             $0.IPAddress = "172.26.0.2"; $0.IPPrefixLen = 20; $0.Gateway = "172.26.0.1"
             $0.SecondaryIPAddresses = [.init(Addr: "172.26.0.3", PrefixLength: 10)]
         }),
        ("two secondary IPv4", StatusBlock(interfaces: ["eth1": interface([
            ("172.26.0.2/20", "172.26.0.1"), ("172.26.0.3/10", nil), ("172.26.0.4/24", nil)])]),
         expected {
             $0.IPAddress = "172.26.0.2"; $0.IPPrefixLen = 20; $0.Gateway = "172.26.0.1"
             $0.SecondaryIPAddresses = [.init(Addr: "172.26.0.3", PrefixLength: 10), .init(Addr: "172.26.0.4", PrefixLength: 24)]
         }),
        ("one secondary IPv6", StatusBlock(interfaces: ["eth1": interface([("2001:db8::c/20", "2001:db8::b"), ("2001:db8::d/10", nil)])]),
         expected {
             $0.GlobalIPv6Address = "2001:db8::c"; $0.GlobalIPv6PrefixLen = 20; $0.IPv6Gateway = "2001:db8::b"
             $0.SecondaryIPv6Addresses = [.init(Addr: "2001:db8::d", PrefixLength: 10)]
         }),
        ("two secondary IPv6", StatusBlock(interfaces: ["eth1": interface([
            ("2001:db8::c/20", "2001:db8::b"), ("2001:db8::d/10", nil), ("2001:db8::e/24", nil)])]),
         expected {
             $0.GlobalIPv6Address = "2001:db8::c"; $0.GlobalIPv6PrefixLen = 20; $0.IPv6Gateway = "2001:db8::b"
             $0.SecondaryIPv6Addresses = [.init(Addr: "2001:db8::d", PrefixLength: 10), .init(Addr: "2001:db8::e", PrefixLength: 24)]
         }),
    ]

    @Test("libpod's secondary-address cases, whole block equal", arguments: secondaryCases.indices)
    func secondaryAddresses(index: Int) {
        let (name, status, want) = Self.secondaryCases[index]
        let got = InspectMapping.basic(status)
        #expect(got == want, "\(name): \(got)")
    }

    @Test("several interfaces: sorted by name, so the primary address and MAC are eth0's whatever the order they were stored in")
    func interfacesSorted() {
        let status = StatusBlock(interfaces: [
            "eth1": Self.interface([("10.2.0.2/24", "10.2.0.1"), ("fd02::2/64", "fd02::1")], mac: "02:00:00:00:00:02"),
            "eth0": Self.interface([("fd01::2/64", "fd01::1")], mac: "02:00:00:00:00:01"),
        ])
        let want = Self.expected {
            // eth0 has no IPv4: the first IPv4 address (and its gateway) is eth1's.
            $0.IPAddress = "10.2.0.2"; $0.IPPrefixLen = 24; $0.Gateway = "10.2.0.1"
            $0.GlobalIPv6Address = "fd01::2"; $0.GlobalIPv6PrefixLen = 64; $0.IPv6Gateway = "fd01::1"
            $0.SecondaryIPv6Addresses = [.init(Addr: "fd02::2", PrefixLength: 64)]
            $0.MacAddress = "02:00:00:00:00:01"; $0.AdditionalMacAddresses = ["02:00:00:00:00:02"]
        }
        #expect(InspectMapping.basic(status) == want)
    }

    @Test("stopped on several networks, the default among them: one empty entry per network with its aliases, nothing at the top, ports kept")
    func stoppedOnSeveral() {
        var record = ContainerRecord(id: "x", name: "web", netns: "", networks: [
            NetworkRequest(network: NetworkFile.defaultName, interface: "eth0", aliases: ["www"]),
            NetworkRequest(network: "back", interface: "eth1", aliases: ["api", "web"]),
        ])
        record.ports = [PortMapping(containerPort: 53, hostPort: 5353, protocol: "udp")]
        record.state = .stopped
        let settings = InspectMapping.settings(record)
        #expect(settings.basic == Basic() && settings.SandboxKey == "")
        #expect(settings.Networks.keys.sorted() == ["back", NetworkFile.defaultName])
        for (network, aliases) in [(NetworkFile.defaultName, ["www"]), ("back", ["api", "web"])] {
            let entry = settings.Networks[network]
            #expect(entry?.basic == Basic() && entry?.Aliases == aliases && entry?.InterfaceNames == [] && entry?.NetworkID == network,
                    "\(network): \(String(describing: entry))")
        }
        #expect(settings.Ports == ["53/udp": [.init(HostIp: "", HostPort: "5353")]])
    }

    @Test("a joined namespace with no usable address: interfaces without any address are left out; one with link-local addresses only gives its MAC and nothing else")
    func joinedWithoutAddresses() {
        let bare = JoinedNamespace.Interface(name: "bare", mac: "02:00:00:00:00:43", addresses: [])
        let linkLocal = JoinedNamespace.Interface(name: "ll", mac: "02:00:00:00:00:44",
                                                  addresses: [IPNetwork("fe80::44/64")!, IPNetwork("169.254.9.9/16")!])
        let record = ContainerRecord(id: "x", name: "j", netns: "", networkMode: .path("/run/netns/other"))

        // Nothing but interfaces without addresses (a fresh `ip netns add` with a veth in it): all empty.
        let nothing = JoinedNamespace.block([bare], defaultRoutes: [])
        #expect(nothing.interfaces.isEmpty)
        let empty = InspectMapping.settings(joined: record, status: nothing)
        #expect(empty.basic == Basic() && empty.Networks.isEmpty && empty.SandboxKey == "")

        // Link-local only, and a default route whose gateway no address contains: the MAC, no address, no gateway.
        let onlyLinkLocal = JoinedNamespace.block([bare, linkLocal], defaultRoutes: [IPAddress("192.0.2.1")])
        #expect(onlyLinkLocal.interfaces.keys.sorted() == ["ll"] && onlyLinkLocal.interfaces["ll"]?.subnets == [])
        let settings = InspectMapping.settings(joined: record, status: onlyLinkLocal)
        #expect(settings.basic == Self.expected { $0.MacAddress = "02:00:00:00:00:44" }, "\(settings.basic)")

        // With an address: the gateway goes to the address whose subnet holds it, not to another one.
        let addressed = JoinedNamespace.Interface(name: "eth0", mac: "02:00:00:00:00:42",
                                                  addresses: [IPNetwork("198.51.100.7/24")!, IPNetwork("192.0.2.7/24")!])
        let withAddress = JoinedNamespace.block([linkLocal, addressed], defaultRoutes: [IPAddress("192.0.2.1")])
        let joined = InspectMapping.settings(joined: record, status: withAddress)
        #expect(joined.basic == Self.expected {
            $0.IPAddress = "198.51.100.7"; $0.IPPrefixLen = 24
            $0.SecondaryIPAddresses = [.init(Addr: "192.0.2.7", PrefixLength: 24)]
            $0.MacAddress = "02:00:00:00:00:42"; $0.AdditionalMacAddresses = ["02:00:00:00:00:44"]
        }, "\(joined.basic)")
        #expect(withAddress.interfaces["eth0"]?.subnets.map(\.gateway) == [nil, "192.0.2.1"])
    }
}

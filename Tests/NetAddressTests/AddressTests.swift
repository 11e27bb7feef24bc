import NetAddress
import Testing

@Suite("IP addresses")
struct AddressTests {
    @Test("IPv4 text round-trips", arguments: ["0.0.0.0", "10.88.0.1", "255.255.255.255", "192.168.1.10", "0.10.100.200"])
    func ipv4(_ text: String) {
        #expect(IPAddress(text)?.description == text)
        #expect(IPAddress(text)?.family == .v4)
    }

    @Test("IPv4 text: every octet value in every position, as interpolating the four would write it")
    func ipv4EveryOctet() {
        for octet in 0...255 {
            for position in 0..<4 {
                var parts = [1, 20, 255, 0]
                parts[position] = octet
                let address = IPv4Address(UInt32(parts[0]) << 24 | UInt32(parts[1]) << 16 | UInt32(parts[2]) << 8 | UInt32(parts[3]))
                let expected = "\(parts[0]).\(parts[1]).\(parts[2]).\(parts[3])"
                #expect(address.description == expected)
            }
        }
    }

    @Test("malformed IPv4 is refused", arguments: ["1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.-4", "1..3.4", "", "a.b.c.d", " 1.2.3.4",
                                                   "1.2.3.4.", ".1.2.3.4", "1.2.3.4 ", "00.1.2.3", "1.2.3.1000", "1.2.3.0255", "1.2.3.256",
                                                   "+1.2.3.4", "1.2.3.\u{0664}", "\u{FF11}.2.3.4", "1.2.3.4\n", "..."])
    func badIPv4(_ text: String) {
        #expect(IPAddress(text) == nil)
    }

    /// Go's net.IP.String() spellings, which name host-local's lease files.
    @Test("IPv6 prints in RFC 5952 form as Go does", arguments: [
        ("fd00:9::2", "fd00:9::2"),
        ("FD00:0009:0000:0000:0000:0000:0000:0002", "fd00:9::2"),
        ("::", "::"),
        ("::1", "::1"),
        ("1::", "1::"),
        ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),
        ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"),
        ("2001:db8::1:0:0:1", "2001:db8::1:0:0:1"),
        ("fe80::1:2:3:4", "fe80::1:2:3:4"),
    ])
    func ipv6(_ input: String, _ expected: String) {
        #expect(IPAddress(input)?.description == expected)
    }

    /// Go folds these into IPv4; Pontoon keeps them IPv6 so a family never changes under a subnet.
    @Test("IPv4-mapped addresses stay IPv6")
    func mapped() {
        #expect(IPAddress("::ffff:10.0.0.1")?.description == "::ffff:a00:1")
        #expect(IPAddress("::ffff:10.0.0.1")?.family == .v6)
    }

    @Test("malformed IPv6 is refused", arguments: ["1:2:3:4:5:6:7:8:9", "1::2::3", "12345::", "g::", ":1", "1:", "1:2:3:4:5:6:7", "fe80::1%eth0"])
    func badIPv6(_ text: String) {
        #expect(IPAddress(text) == nil)
    }

    @Test("stepping addresses")
    func stepping() {
        #expect(IPAddress("10.0.0.255")!.next?.description == "10.0.1.0")
        #expect(IPAddress("10.0.1.0")!.previous?.description == "10.0.0.255")
        #expect(IPAddress("255.255.255.255")!.next == nil)
        #expect(IPAddress("0.0.0.0")!.previous == nil)
        #expect(IPAddress("::ffff:ffff:ffff:ffff")!.next?.description == "0:0:0:1::")
        #expect(IPAddress("0:0:0:1::")!.previous?.description == "::ffff:ffff:ffff:ffff")
        #expect(IPAddress("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")!.next == nil)
    }
}

@Suite("Prefixes and MACs")
struct NetworkTests {
    @Test("masking and containment")
    func masking() {
        let net = IPNetwork("10.88.0.5/16")!
        #expect(net.network.description == "10.88.0.0")
        #expect(net.masked.description == "10.88.0.0/16")
        #expect(net.lastAddress.description == "10.88.255.255")
        #expect(!net.isNetworkAddress)
        #expect(net.contains(IPAddress("10.88.200.1")!))
        #expect(!net.contains(IPAddress("10.89.0.1")!))
        #expect(!net.contains(IPAddress("fd00::1")!))
        let six = IPNetwork("fd00:9::/125")!
        #expect(six.lastAddress.description == "fd00:9::7")
        #expect(IPNetwork("fd00::/64")!.contains(IPAddress("fd00::ffff:1")!))
        #expect(IPNetwork("0.0.0.0/0")!.contains(IPAddress("1.2.3.4")!))
        #expect(IPNetwork("::/0")!.contains(IPAddress("fd00::1")!))
        #expect(IPNetwork("10.0.0.0/8")!.overlaps(IPNetwork("10.1.0.0/16")!))
        #expect(!IPNetwork("10.0.0.0/16")!.overlaps(IPNetwork("10.1.0.0/16")!))
    }

    @Test("malformed prefixes are refused", arguments: ["10.0.0.0", "10.0.0.0/33", "10.0.0.0/-1", "fd00::/129", "10.0.0.0/ 8", "/8", "10.0.0.0/08x"])
    func badPrefixes(_ text: String) {
        #expect(IPNetwork(text) == nil)
    }

    @Test("MAC addresses")
    func macs() {
        #expect(MACAddress("02:00:00:00:09:77")?.description == "02:00:00:00:09:77")
        #expect(MACAddress("02-AB-00-00-09-77")?.description == "02:ab:00:00:09:77")
        #expect(MACAddress("02:00:00:00:09") == nil)
        #expect(MACAddress("02:00:00:00:09:7") == nil)
        #expect(MACAddress("01:00:5e:00:00:01")!.isMulticast)
        #expect(MACAddress("02:00:00:00:00:01")!.isLocallyAdministered)
    }

    @Test("random MACs are unicast, locally administered, and differ from draw to draw")
    func randomMAC() {
        let draws = (0..<64).map { _ in MACAddress.randomLocal() }
        for mac in draws {
            #expect(mac.isLocallyAdministered && !mac.isMulticast, "\(mac)")
        }
        // 64 draws of 46 random bits: a repeat means the bits are not random.
        #expect(Set(draws.map(\.description)).count == draws.count)
        // Every octet varies (a byte left out of the draw would stay constant).
        for octet in 1..<6 {
            let values = Set(draws.map { $0.bytes[octet] })
            #expect(values.count > 1, "octet \(octet) never changes")
        }
    }
}

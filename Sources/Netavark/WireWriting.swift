import WireCoding

// What the netavark door writes, member by member as the types' Codable encoding names them:
// `WireJSON.write` gives the bytes `WireJSON.encode` gives, without the Codable machinery's
// start-up cost (WireCodingTests' writing test holds the two equal).

extension StatusBlock: WireEncodable {
    public var wireValue: WireValue {
        .object { object in
            object.set("dns_search_domains", dnsSearchDomains)
            object.set("dns_server_ips", dnsServerIPs)
            object.set("interfaces", interfaces)
        }
    }
}

extension StatusBlock.NetInterface: WireEncodable {
    public var wireValue: WireValue {
        .object { object in
            object.set("mac_address", macAddress)
            object.set("subnets", subnets)
        }
    }
}

extension StatusBlock.NetAddress: WireEncodable {
    public var wireValue: WireValue {
        .object { object in
            object.set("ipnet", ipnet)
            object.set("gateway", gateway)
        }
    }
}

extension ErrorDocument: WireEncodable {
    public var wireValue: WireValue {
        .object { object in object.set("error", error) }
    }
}

extension VersionDocument: WireEncodable {
    public var wireValue: WireValue {
        .object { object in
            object.set("version", version)
            object.set("commit", commit)
            object.set("build_time", buildTime)
            object.set("target", target)
        }
    }
}

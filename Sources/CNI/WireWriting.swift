import WireCoding

// What the CNI door writes, member by member as the types' Codable encoding names them (their
// stored properties, optionals left out when nil): `WireJSON.write` gives the same bytes as
// `WireJSON.encode`, without the Codable machinery's cost at start-up (WireCodingTests' writing
// test holds the two equal).

extension WireResult: WireEncodable {
    public var wireValue: WireValue {
        .object { object in
            object.set("cniVersion", cniVersion)
            object.set("interfaces", interfaces)
            object.set("ips", ips)
            object.set("routes", routes)
            object.set("dns", dns)
            object.set("ip4", ip4)
            object.set("ip6", ip6)
        }
    }
}

extension WireResult.Interface: WireEncodable {
    public var wireValue: WireValue {
        .object { object in
            object.set("name", name)
            object.set("mac", mac)
            object.set("mtu", mtu)
            object.set("sandbox", sandbox)
            object.set("socketPath", socketPath)
            object.set("pciID", pciID)
        }
    }
}

extension WireResult.IPConfig: WireEncodable {
    public var wireValue: WireValue {
        .object { object in
            object.set("version", version)
            object.set("interface", interface)
            object.set("address", address)
            object.set("gateway", gateway)
        }
    }
}

extension WireResult.LegacyIP: WireEncodable {
    public var wireValue: WireValue {
        .object { object in
            object.set("ip", ip)
            object.set("gateway", gateway)
            object.set("routes", routes)
        }
    }
}

extension RouteConf: WireEncodable {
    public var wireValue: WireValue {
        .object { object in
            object.set("dst", dst)
            object.set("gw", gw)
            object.set("mtu", mtu)
            object.set("advmss", advmss)
            object.set("priority", priority)
            object.set("table", table)
            object.set("scope", scope)
        }
    }
}

extension DNSConf: WireEncodable {
    public var wireValue: WireValue {
        .object { object in
            object.set("nameservers", nameservers)
            object.set("domain", domain)
            object.set("search", search)
            object.set("options", options)
        }
    }
}

extension WireError: WireEncodable {
    public var wireValue: WireValue {
        .object { object in
            object.set("cniVersion", cniVersion)
            object.set("code", code)
            object.set("msg", msg)
            object.set("details", details)
        }
    }
}

extension VersionInfo: WireEncodable {
    public var wireValue: WireValue {
        .object { object in
            object.set("cniVersion", cniVersion)
            object.set("supportedVersions", supportedVersions)
        }
    }
}

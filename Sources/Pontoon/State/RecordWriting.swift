import WireCoding

// The records the engine writes on every ADD, member by member as the types' Codable encoding
// names them (stored properties; optionals left out when nil; addresses as their text, as
// NetAddress's `TextCodable` encodes them): `WireJSON.write` gives the bytes `WireJSON.encode`
// gives, without the Codable machinery's start-up cost (EngineTests' RecordWritingTests holds
// the two equal). Records are read back without Codable too (`WireJSON.read`, `WireDecodable`).

extension AttachmentRecord: WireEncodable {
    public var wireValue: WireValue {
        .object { object in
            object.set("containerID", containerID)
            object.set("ifName", ifName)
            object.set("network", network)
            object.set("netns", netns)
            object.set("bridge", bridge)
            object.set("hostInterface", hostInterface)
            object.set("containerMAC", text: containerMAC)
            object.set("addresses", texts: addresses)
            object.set("portMappings", portMappings)
            object.set("firewall", firewall)
        }
    }
}

extension PortMapping: WireEncodable {
    public var wireValue: WireValue {
        .object { object in
            object.set("hostIP", text: hostIP)
            object.set("hostPort", hostPort)
            object.set("containerPort", containerPort)
            object.set("transport", transport)
            object.set("count", count)
        }
    }
}

extension PortMapping.TransportProtocol: WireEncodable {
    public var wireValue: WireValue { .string(rawValue) }
}

extension FirewallAttachment: WireEncodable {
    public var wireValue: WireValue {
        .object { object in
            object.set("containerID", containerID)
            object.set("ifName", ifName)
            object.set("addresses", texts: addresses)
            object.set("hostPorts", hostPorts)
            object.set("hostInterface", hostInterface)
            object.set("mac", text: mac)
        }
    }
}

extension FirewallAttachment.HostPort: WireEncodable {
    public var wireValue: WireValue {
        .object { object in
            object.set("hostIP", text: hostIP)
            object.set("hostPort", hostPort)
            object.set("containerAddress", text: containerAddress)
            object.set("containerPort", containerPort)
            object.set("transport", transport)
            object.set("count", count)
        }
    }
}

extension FirewallNetwork: WireEncodable {
    public var wireValue: WireValue {
        .object { object in
            object.set("name", name)
            object.set("bridge", bridge)
            object.set("kind", kind)
            object.set("subnets", texts: subnets)
            object.set("ipMasq", ipMasq)
            object.set("isolation", isolationSetting)
            object.set("macSpoofCheck", macSpoofCheckSetting)
            object.set("dnsRedirect", dnsRedirect)
        }
    }
}

extension FirewallKind: WireEncodable {
    public var wireValue: WireValue { .string(rawValue) }
}

extension NetworkIsolation: WireEncodable {
    public var wireValue: WireValue { .string(rawValue) }
}

extension DNSRedirect: WireEncodable {
    public var wireValue: WireValue {
        .object { object in
            object.set("port", port)
            object.set("addresses", texts: addresses)
        }
    }
}

extension FirewallMembership.Record: WireEncodable {
    var wireValue: WireValue {
        .object { object in
            object.set("network", network)
            object.set("members", members)
            object.set("states", states)
        }
    }
}

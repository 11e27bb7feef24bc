import NetAddress
import Netavark

/// `-p [[hostIP:][hostPort[-end]]:]containerPort[-end][/proto]` and libpod's normalisation of the list:
/// one entry per protocol, duplicates removed, consecutive host→container pairs merged into ranges,
/// sorted by host IP, protocol and host port. Pure: no system state.
public enum PortMappings {
    public static let protocols: Set<String> = ["tcp", "udp", "sctp"]

    /// One `-p` argument; several protocols (`tcp,udp`) give several mappings.
    public static func parse(_ text: String) throws(CtlError) -> [PortMapping] {
        var rest = Substring(text)
        var protocolList = "tcp"
        if let slash = rest.lastIndex(of: "/") {
            protocolList = String(rest[rest.index(after: slash)...])
            rest = rest[..<slash]
        }
        var hostIP = ""
        if rest.hasPrefix("[") {
            // An IPv6 host address in brackets: [::1]:8080:80.
            guard let close = rest.firstIndex(of: "]"), rest[rest.index(after: close)...].hasPrefix(":") else {
                throw CtlError(.usage, "port mapping \"\(text)\": an IPv6 host address needs the form [addr]:hostPort:containerPort")
            }
            hostIP = String(rest[rest.index(after: rest.startIndex)..<close])
            rest = rest[rest.index(close, offsetBy: 2)...]
        }
        var parts = rest.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        if hostIP.isEmpty, parts.count == 3 { hostIP = parts.removeFirst() }
        // `80` and `hostIP::80`: no host port given, one is picked at create (`hostPort` 0 until then), as podman does.
        if parts.count == 1 { parts.insert("", at: 0) }
        guard parts.count == 2 else {
            throw CtlError(.usage, "port mapping \"\(text)\" is not [[hostIP:][hostPort[-end]]:]containerPort[-end][/proto]")
        }
        if !hostIP.isEmpty, IPAddress(hostIP) == nil {
            throw CtlError(.usage, "port mapping \"\(text)\": host IP \"\(hostIP)\" is not an IP address")
        }
        let container = try range(parts[1], of: text, what: "container port")
        let host = parts[0].isEmpty ? 0...(container.count - 1) : try range(parts[0], of: text, what: "host port")
        guard host.count == container.count else {
            throw CtlError(.usage, "port mapping \"\(text)\": the host range has \(host.count) ports and the container range \(container.count)")
        }
        let names = protocolList.split(separator: ",", omittingEmptySubsequences: false).map { String($0).lowercased() }
        var seen = Set<String>()
        var mappings: [PortMapping] = []
        for name in names {
            guard protocols.contains(name) else {
                throw CtlError(.usage, "port mapping \"\(text)\": unknown protocol \"\(name)\" (tcp, udp or sctp)")
            }
            guard seen.insert(name).inserted else { continue }
            mappings.append(PortMapping(hostIP: hostIP, containerPort: container.lowerBound, hostPort: host.lowerBound,
                                        range: host.count, protocol: name))
        }
        return mappings
    }

    private static func range(_ text: String, of whole: String, what: String) throws(CtlError) -> ClosedRange<Int> {
        let bounds = text.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
        guard bounds.count == 1 || bounds.count == 2 else {
            throw CtlError(.usage, "port mapping \"\(whole)\": \(what) \"\(text)\" is not a port or a range start-end")
        }
        var numbers: [Int] = []
        for bound in bounds { numbers.append(try port(bound, of: whole, what: what)) }
        guard numbers.last! >= numbers.first! else {
            throw CtlError(.usage, "port mapping \"\(whole)\": \(what) range \(text) ends before it starts")
        }
        return numbers.first!...numbers.last!
    }

    static func port(_ text: String, of whole: String, what: String) throws(CtlError) -> Int {
        guard !text.isEmpty, text.allSatisfy(\.isASCII), let value = Int(text) else {
            throw CtlError(.usage, "port mapping \"\(whole)\": \(what) \"\(text)\" is not a number")
        }
        guard value != 0 else { throw CtlError(.usage, "port mapping \"\(whole)\": \(what) must not be 0") }
        guard value <= 65535 else { throw CtlError(.usage, "port mapping \"\(whole)\": \(what) \(value) is above 65535") }
        return value
    }

    /// libpod's normalisation of the whole list (also of mappings from elsewhere, e.g. a stored record).
    public static func normalise(_ mappings: [PortMapping]) throws(CtlError) -> [PortMapping] {
        struct Key: Hashable, Comparable {
            var hostIP: String, proto: String
            static func < (a: Key, b: Key) -> Bool { (a.hostIP, a.proto) < (b.hostIP, b.proto) }
        }
        var byKey: [Key: [Int: Int]] = [:]   // host port → container port
        for mapping in mappings {
            let count = mapping.range ?? 1
            let names = mapping.protocol.split(separator: ",").map { String($0).lowercased() }
            guard !names.isEmpty else { throw CtlError(.usage, "port mapping for host port \(mapping.hostPort) has no protocol") }
            guard count >= 1 else { throw CtlError(.usage, "port mapping for host port \(mapping.hostPort) has range \(count)") }
            for (value, what) in [(mapping.hostPort, "host port"), (mapping.containerPort, "container port")] {
                guard value != 0 else { throw CtlError(.usage, "\(what) must not be 0") }
                guard value + count - 1 <= 65535 else {
                    throw CtlError(.usage, "\(what) range \(value)-\(value + count - 1) goes above 65535")
                }
            }
            for name in names {
                guard protocols.contains(name) else { throw CtlError(.usage, "unknown protocol \"\(name)\" (tcp, udp or sctp)") }
                let key = Key(hostIP: mapping.hostIP ?? "", proto: name)
                for offset in 0..<count {
                    let hostPort = mapping.hostPort + offset, containerPort = mapping.containerPort + offset
                    if let existing = byKey[key]?[hostPort], existing != containerPort {
                        throw CtlError(.usage, "host port \(hostPort)/\(name) is mapped to both container port \(existing) and \(containerPort)")
                    }
                    byKey[key, default: [:]][hostPort] = containerPort
                }
            }
        }
        var result: [PortMapping] = []
        for key in byKey.keys.sorted() {
            for (hostPort, containerPort) in byKey[key]!.sorted(by: { $0.key < $1.key }) {
                if var last = result.last, last.hostIP == key.hostIP, last.protocol == key.proto,
                   last.hostPort + (last.range ?? 1) == hostPort, last.containerPort + (last.range ?? 1) == containerPort {
                    last.range = (last.range ?? 1) + 1
                    result[result.count - 1] = last
                } else {
                    result.append(PortMapping(hostIP: key.hostIP, containerPort: containerPort, hostPort: hostPort,
                                              range: 1, protocol: key.proto))
                }
            }
        }
        return result
    }

    /// The first host port two mappings both publish (same protocol, ranges that meet, host
    /// addresses that meet: equal, or one of them every address of the other's family), nil when none.
    public static func sharedHostPort(_ a: PortMapping, _ b: PortMapping) -> Int? {
        let aNames = Set(a.protocol.split(separator: ",").map { $0.lowercased() })
        guard !aNames.isDisjoint(with: b.protocol.split(separator: ",").map { $0.lowercased() }) else { return nil }
        guard addressesMeet(a.hostIP ?? "", b.hostIP ?? "") else { return nil }
        let first = max(a.hostPort, b.hostPort)
        let last = min(a.hostPort + (a.range ?? 1), b.hostPort + (b.range ?? 1)) - 1
        return first <= last ? first : nil
    }

    /// "" is every address of both families; 0.0.0.0 every IPv4 one, :: every IPv6 one.
    static func addressesMeet(_ a: String, _ b: String) -> Bool {
        if a.isEmpty || b.isEmpty { return true }
        guard let x = IPAddress(a), let y = IPAddress(b) else { return a == b }
        guard x.family == y.family else { return false }
        let any = x.family == .v4 ? IPAddress("0.0.0.0") : IPAddress("::")
        return x == y || x == any || y == any
    }
}

import NetAddress
import Netavark

/// What connect and disconnect change in a container's `hosts` and `resolv.conf`, as libpod v4
/// edits them (etchosts Add/Remove, add/removeNameserver) rather than writing them anew: only the
/// lines of that network go in or out, whatever the user added stays where it is. Pure: text in,
/// text out; `ContainerFiles` applies them to the files under a lock.
public enum ContainerFileEdits {
    /// One hosts line: an address and its names.
    public struct HostEntry: Sendable, Equatable {
        public var ip: String
        public var names: [String]

        public init(ip: String, names: [String]) {
            self.ip = ip
            self.names = names
        }

        var line: String { ip + "\t" + names.joined(separator: " ") }
    }

    /// The lines a network gives the container: each address of its status, named by the
    /// container's hostname and name and by the aliases asked for on that network (not the
    /// short-ID alias pontoonctl adds for DNS, which podman keeps out of hosts too).
    public static func hostEntries(_ record: ContainerRecord, network: String) -> [HostEntry] {
        guard let request = record.networks.first(where: { $0.network == network }), let status = record.status[network] else { return [] }
        let names = unique([record.hostname ?? record.name, record.name] + request.aliases.filter { $0 != record.shortID })
        return status.interfaces.keys.sorted().flatMap { interface in
            status.interfaces[interface]!.subnets.compactMap { subnet in
                IPNetwork(subnet.ipnet).map { HostEntry(ip: "\($0.address)", names: names) }
            }
        }
    }

    /// `entries` appended, each unless the very same line (address and names) is there already.
    public static func addingHosts(_ entries: [HostEntry], to text: String) -> String {
        let present = Set(lines(text).compactMap(parseHost))
        var result = text
        if !result.isEmpty, !result.hasSuffix("\n") { result += "\n" }
        for entry in entries where !present.contains(entry) { result += entry.line + "\n" }
        return result
    }

    /// The lines equal to one of `entries` (same address, same names in order) removed; any other
    /// line, a user's for the same address included, stays as it is.
    public static func removingHosts(_ entries: [HostEntry], from text: String) -> String {
        let gone = Set(entries)
        return rebuild(lines(text).filter { line in parseHost(line).map { !gone.contains($0) } ?? true }, like: text)
    }

    /// A network's DNS servers as libpod adds them: IPv6 ones only when the container has IPv6.
    public static func nameServers(_ status: StatusBlock?, ipv6: Bool) -> [String] {
        (status?.dnsServerIPs ?? []).filter { ipv6 || IPAddress($0)?.family != .v6 }
    }

    /// Whether any network gave the container an IPv6 address (libpod's `checkForIPv6`).
    public static func hasIPv6(_ record: ContainerRecord) -> Bool {
        record.status.values.contains { status in
            status.interfaces.values.contains { $0.subnets.contains { IPNetwork($0.ipnet)?.family == .v6 } }
        }
    }

    /// `servers` go in front of the existing name servers, as libpod puts a network's first (ahead
    /// of any the user added), each unless already there; nothing else moves.
    public static func addingNameServers(_ servers: [String], to text: String) -> String {
        var all = lines(text)
        let present = Set(all.compactMap(nameServer))
        let new = unique(servers).filter { !present.contains($0) }.map { "nameserver " + $0 }
        guard !new.isEmpty else { return text }
        all.insert(contentsOf: new, at: all.firstIndex { nameServer($0) != nil } ?? all.count)
        return rebuild(all, like: text.isEmpty ? "\n" : text)
    }

    /// The `nameserver` lines of `servers` removed; every other line stays.
    public static func removingNameServers(_ servers: [String], from text: String) -> String {
        let gone = Set(servers)
        return rebuild(lines(text).filter { nameServer($0).map { !gone.contains($0) } ?? true }, like: text)
    }

    // MARK: parsing

    static func lines(_ text: String) -> [String] {
        var all = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if all.last == "" { all.removeLast() }
        return all
    }

    /// The lines joined back, with a final newline when the text had one (or was empty).
    static func rebuild(_ lines: [String], like text: String) -> String {
        guard !lines.isEmpty else { return "" }
        return lines.joined(separator: "\n") + (text.isEmpty || text.hasSuffix("\n") ? "\n" : "")
    }

    /// `ADDRESS NAME…` (comments and blank lines are nil).
    static func parseHost(_ line: String) -> HostEntry? {
        let words = (line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
            .split(whereSeparator: \.isWhitespace).map(String.init)
        guard words.count >= 2 else { return nil }
        return HostEntry(ip: words[0], names: Array(words.dropFirst()))
    }

    static func nameServer(_ line: String) -> String? {
        let words = line.split(whereSeparator: \.isWhitespace)
        guard words.count >= 2, words[0] == "nameserver" else { return nil }
        return String(words[1])
    }

    static func unique(_ values: [String]) -> [String] {
        values.reduce(into: []) { if !$0.contains($1) { $0.append($1) } }
    }
}

extension ContainerFileEdits.HostEntry: Hashable {}

import Foundation
import NetAddress

/// A container's `resolv.conf` and `hosts` under its state directory, written from its stored
/// status after every change of its networks.
public enum ContainerFiles {
    public static func resolvConf(_ record: ContainerRecord, hostResolvConf: String) -> String {
        let ordered = record.networks.compactMap { record.status[$0.network] }
        var servers = record.dnsServers
        if servers.isEmpty { servers = unique(ordered.flatMap(\.dnsServerIPs)) }
        // As podman: slirp4netns's forwarder, which reaches the host's servers, loopback ones too.
        if servers.isEmpty, case .slirp4netns(let options)? = record.networkMode { servers = [options.dnsServer] }
        if servers.isEmpty {
            // podman's fallback: the host's servers, except loopback ones a container cannot reach.
            servers = hostResolvConf.split(separator: "\n").compactMap { line -> String? in
                let words = line.split(whereSeparator: \.isWhitespace)
                guard words.count >= 2, words[0] == "nameserver", let ip = IPAddress(String(words[1])) else { return nil }
                if case .v4(let v4) = ip, v4.value >> 24 == 127 { return nil }
                if ip == IPAddress("::1") { return nil }
                return String(words[1])
            }
        }
        let search = unique(ordered.flatMap(\.dnsSearchDomains))
        var text = ""
        if !search.isEmpty { text += "search " + search.joined(separator: " ") + "\n" }
        for server in servers { text += "nameserver \(server)\n" }
        return text
    }

    public static func hosts(_ record: ContainerRecord) -> String {
        var text = "127.0.0.1\tlocalhost\n::1\tlocalhost\n"
        let names = [record.hostname ?? record.name, record.name].reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        for request in record.networks {
            for interface in (record.status[request.network]?.interfaces ?? [:]).keys.sorted() {
                for subnet in record.status[request.network]!.interfaces[interface]!.subnets {
                    if let ip = IPNetwork(subnet.ipnet)?.address { text += "\(ip)\t\(names.joined(separator: " "))\n" }
                }
            }
        }
        return text
    }

    static func write(_ record: ContainerRecord, paths: ControlPaths) throws(CtlError) {
        let directory = paths.containerDirectory(record.name)
        let host = (try? String(contentsOfFile: "/etc/resolv.conf", encoding: .utf8)) ?? ""
        try Store.write(Data(resolvConf(record, hostResolvConf: host).utf8), to: directory + "/resolv.conf")
        try Store.write(Data(hosts(record).utf8), to: directory + "/hosts")
    }

    private static func unique(_ values: [String]) -> [String] {
        values.reduce(into: []) { if !$0.contains($1) { $0.append($1) } }
    }
}

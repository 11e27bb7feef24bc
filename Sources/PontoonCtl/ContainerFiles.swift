import Foundation
import HostSystem
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
        for request in record.networks {
            for entry in ContainerFileEdits.hostEntries(record, network: request.network) { text += entry.line + "\n" }
        }
        return text
    }

    static func write(_ record: ContainerRecord, paths: ControlPaths) throws(CtlError) {
        let directory = paths.containerDirectory(record.name)
        let host = (try? String(contentsOfFile: "/etc/resolv.conf", encoding: .utf8)) ?? ""
        try Store.write(Data(resolvConf(record, hostResolvConf: host).utf8), to: directory + "/resolv.conf")
        try Store.write(Data(hosts(record).utf8), to: directory + "/hosts")
    }

    /// At `start`: `resolv.conf` written anew from the networks; `hosts` keeps what the user added
    /// (the networks' lines went at the last stop) and gets loopback's and the networks' lines
    /// where missing, as connect adds them. libpod writes both anew at each start; a user's line
    /// surviving a restart is what an operator expects of a file edited in place since create.
    static func started(_ record: ContainerRecord, paths: ControlPaths) throws(CtlError) {
        let directory = paths.containerDirectory(record.name)
        guard FileManager.default.fileExists(atPath: directory + "/hosts") else { return try write(record, paths: paths) }
        let host = (try? String(contentsOfFile: "/etc/resolv.conf", encoding: .utf8)) ?? ""
        try Store.write(Data(resolvConf(record, hostResolvConf: host).utf8), to: directory + "/resolv.conf")
        let entries = ContainerFileEdits.lines(hosts(record)).compactMap(ContainerFileEdits.parseHost)
        try edit(directory + "/hosts", record, paths) { ContainerFileEdits.addingHosts(entries, to: $0) }
    }

    /// At `stop`: the networks' lines leave `hosts` (their addresses go with them), the user's stay.
    static func stopped(_ record: ContainerRecord, paths: ControlPaths) throws(CtlError) {
        let path = paths.containerDirectory(record.name) + "/hosts"
        guard FileManager.default.fileExists(atPath: path) else { return }
        let entries = record.networks.flatMap { ContainerFileEdits.hostEntries(record, network: $0.network) }
        try edit(path, record, paths) { ContainerFileEdits.removingHosts(entries, from: $0) }
    }

    /// After `connect`: the network's host entries and name servers added in place. As libpod's
    /// NetworkConnect, the servers go in even when `--dns` chose the container's at create.
    static func connected(_ network: String, _ record: ContainerRecord, paths: ControlPaths) throws(CtlError) {
        let directory = paths.containerDirectory(record.name)
        let entries = ContainerFileEdits.hostEntries(record, network: network)
        let servers = ContainerFileEdits.nameServers(record.status[network], ipv6: ContainerFileEdits.hasIPv6(record))
        try edit(directory + "/hosts", record, paths) { ContainerFileEdits.addingHosts(entries, to: $0) }
        try edit(directory + "/resolv.conf", record, paths) { ContainerFileEdits.addingNameServers(servers, to: $0) }
    }

    /// After `disconnect`: what the network brought removed in place (`before` is the record while
    /// still connected); a server another network or the user still gives stays.
    static func disconnected(_ network: String, before: ContainerRecord, paths: ControlPaths) throws(CtlError) {
        var after = before
        after.networks.removeAll { $0.network == network }
        after.status.removeValue(forKey: network)
        let directory = paths.containerDirectory(before.name)
        let entries = ContainerFileEdits.hostEntries(before, network: network)
        let kept = Set(after.dnsServers + after.status.values.flatMap(\.dnsServerIPs))
        let servers = (before.status[network]?.dnsServerIPs ?? []).filter { !kept.contains($0) }
        try edit(directory + "/hosts", after, paths) { ContainerFileEdits.removingHosts(entries, from: $0) }
        try edit(directory + "/resolv.conf", after, paths) { ContainerFileEdits.removingNameServers(servers, from: $0) }
    }

    /// After `reload`: left alone when the networks give the same lines as before (reload keeps
    /// addresses, so this is the rule and the user's lines stay); written anew only if they changed.
    static func reloaded(before: ContainerRecord, after: ContainerRecord, paths: ControlPaths) throws(CtlError) {
        let host = (try? String(contentsOfFile: "/etc/resolv.conf", encoding: .utf8)) ?? ""
        let directory = paths.containerDirectory(after.name)
        let present = FileManager.default.fileExists(atPath: directory + "/hosts") && FileManager.default.fileExists(atPath: directory + "/resolv.conf")
        guard !present || hosts(before) != hosts(after)
                || resolvConf(before, hostResolvConf: host) != resolvConf(after, hostResolvConf: host) else { return }
        try write(after, paths: paths)
    }

    /// One file changed in place under a lock on the file itself, as libpod locks it: the same
    /// inode, so a bind mount of it (an `exec` running) sees the change. A container made before
    /// pontoonctl wrote the file gets it whole.
    private static func edit(_ path: String, _ record: ContainerRecord, _ paths: ControlPaths,
                             _ change: (String) -> String) throws(CtlError) {
        guard FileManager.default.fileExists(atPath: path) else { return try write(record, paths: paths) }
        let lock: FileLock
        do {
            lock = try FileLock(path, mode: .exclusive, permissions: 0o644)
        } catch {
            throw CtlError(.failed, "cannot lock \(path): \(error)")
        }
        defer { lock.unlock() }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw CtlError(.failed, "cannot read \(path)") }
        let changed = change(text)
        guard changed != text else { return }
        guard let handle = FileHandle(forWritingAtPath: path) else { throw CtlError(.failed, "cannot open \(path) for writing") }
        defer { try? handle.close() }
        do {
            try handle.truncate(atOffset: 0)
            try handle.write(contentsOf: Data(changed.utf8))
        } catch {
            throw CtlError(.failed, "cannot write \(path): \(error.localizedDescription)")
        }
    }

    private static func unique(_ values: [String]) -> [String] {
        values.reduce(into: []) { if !$0.contains($1) { $0.append($1) } }
    }
}

import Glibc
import NetAddress
import HostSystem

/// Container name resolution through aardvark-dns, the way netavark runs it: one config file per
/// network in `directory` (first line: the gateway addresses it answers on, then optionally the
/// network's upstream servers; then one line per container: `<id> <ipv4s> <ipv6s> <names>`, then
/// optionally the container's own upstream servers; lists comma-separated; Debian's aardvark-dns
/// 1.4 forwards other names to those servers instead of resolv.conf's), one daemon for all of them
/// (`aardvark-dns --config <directory> -p <port> run`, 53 unless `NETAVARK_DNS_PORT` says
/// otherwise; pid in `<directory>/aardvark.pid`), told to reload with SIGHUP and stopped when the
/// last entry goes. Changes are serialised by a lock kept outside the directory (aardvark reads
/// every file in it as a network).
public struct AardvarkDNS: Sendable {
    public struct Entry: Sendable, Equatable {
        public var containerID: String
        public var addresses: [IPAddress]
        public var names: [String]
        /// Where aardvark-dns forwards this container's other queries (podman's `--dns`).
        public var dnsServers: [IPAddress]

        public init(containerID: String, addresses: [IPAddress], names: [String], dnsServers: [IPAddress] = []) {
            self.containerID = containerID
            self.addresses = addresses
            self.names = names
            self.dnsServers = dnsServers
        }

        var line: String {
            let v4 = addresses.filter { $0.family == .v4 }.map(\.description).joined(separator: ",")
            let v6 = addresses.filter { $0.family == .v6 }.map(\.description).joined(separator: ",")
            return "\(containerID) \(v4) \(v6) \(names.joined(separator: ","))" + AardvarkDNS.serverColumn(dnsServers)
        }
    }

    public let directory: String
    public let lockDirectory: String
    public let binary: String
    /// Where a started daemon listens (`-p`; netavark's `NETAVARK_DNS_PORT`).
    public let port: UInt16

    public init(directory: String, lockDirectory: String, binary: String, port: UInt16 = 53) {
        self.directory = directory
        self.lockDirectory = lockDirectory
        self.binary = binary
        self.port = port
    }

    var pidFile: String { directory + "/aardvark.pid" }
    static let pidFileName = "aardvark.pid"

    /// What aardvark-dns's line format can carry: a network whose file would be the pid file
    /// cannot be served, and a name holding a separator (space, comma) or a line break would
    /// split the container's line, leaving a stray line no teardown can find.
    public static func validate(network: String, names: [String]) throws(PontoonError) {
        guard network != pidFileName else {
            throw PontoonError(.invalidConfiguration, "network name \(network) cannot have DNS: aardvark-dns keeps its pid file under that name")
        }
        for name in names where name.unicodeScalars.contains(where: { $0 == "," || $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7f }) {
            throw PontoonError(.invalidConfiguration, "network \(network): DNS name \(name.debugDescription) holds a space, comma or control character",
                               details: "aardvark-dns names are container names and aliases")
        }
    }

    /// A container's entry on one network; `gateways` and the network's upstream servers head the
    /// network's file when it is new (as with netavark, a later container does not rewrite them:
    /// `update` does).
    public struct Addition: Sendable {
        public var network: String
        public var gateways: [IPAddress]
        public var networkDNSServers: [IPAddress]
        public var entry: Entry

        public init(network: String, gateways: [IPAddress], networkDNSServers: [IPAddress] = [], entry: Entry) {
            self.network = network
            self.gateways = gateways
            self.networkDNSServers = networkDNSServers
            self.entry = entry
        }

        var header: String { gateways.map(\.description).joined(separator: ",") + AardvarkDNS.serverColumn(networkDNSServers) }
    }

    /// The optional last column of a line: ` a,b`, or nothing.
    static func serverColumn(_ servers: [IPAddress]) -> String {
        servers.isEmpty ? "" : " " + servers.map(\.description).joined(separator: ",")
    }

    /// Adds each entry (replacing the container's earlier one on that network), then starts or
    /// reloads aardvark-dns.
    public func add(_ additions: [Addition]) throws {
        guard !additions.isEmpty else { return }
        _ = try Locks.serialising(lockDirectory, createDirectory: true) {
            try FileSystem.makeDirectories(directory, mode: 0o700)
            try removeAbandonedTemporaries()
            for addition in additions {
                var lines = try read(addition.network) ?? [addition.header]
                lines = [lines[0]] + lines.dropFirst().filter { !$0.hasPrefix(addition.entry.containerID + " ") } + [addition.entry.line]
                try write(addition.network, lines)
            }
            try apply()
        }
    }

    /// Removes the container's entries from those networks; a network left without entries loses
    /// its file, and aardvark-dns stops with the last one. What is already gone is fine.
    public func remove(containerID: String, from networks: [String]) throws {
        guard !networks.isEmpty else { return }
        _ = try Locks.serialising(lockDirectory, createDirectory: false) {
            try removeAbandonedTemporaries()
            for network in networks {
                guard let lines = try read(network) else { continue }
                let kept = lines.dropFirst().filter { !$0.hasPrefix(containerID + " ") }
                if kept.isEmpty {
                    try FileSystem.remove(path(network))
                } else if kept.count != lines.count - 1 {
                    try write(network, [lines[0]] + kept)
                }
            }
            try apply()
        }
    }

    /// `update <network> --network-dns-servers`: the network's upstream servers become `servers`
    /// (none: resolv.conf's again), and a running aardvark-dns reloads. False when no container of
    /// the network has an entry (no file): the servers reach aardvark-dns with the network's next
    /// setup, from `network_dns_servers`.
    public func updateNetworkDNSServers(network: String, servers: [IPAddress]) throws -> Bool {
        let outcome = try Locks.serialising(lockDirectory, createDirectory: false) { () throws -> Bool in
            guard let lines = try read(network) else { return false }
            // The first column (the addresses aardvark listens on) stays; the second is replaced.
            let listen = lines[0].split(separator: " ", maxSplits: 1).first.map(String.init) ?? ""
            let header = listen + Self.serverColumn(servers)
            if header != lines[0] {
                try write(network, [header] + lines.dropFirst())
                if let running = runningPID(), kill(running, SIGHUP) != 0 {
                    throw PontoonError(.system, "cannot reload aardvark-dns (pid \(running))")
                }
            }
            return true
        }
        return outcome ?? false
    }

    /// Forgets every entry of a network namespace that is gone (`NamespaceEpoch`): the network
    /// files and the pid file go, and an aardvark-dns still running in another namespace than the
    /// caller's (stranded with it) is stopped. One in the caller's namespace is left to `apply`.
    public func discardAll() throws {
        guard try FileSystem.isDirectory(directory) == true else { return }
        // Made when missing: netavark itself may have written the entries, without our lock.
        _ = try Locks.serialising(lockDirectory, createDirectory: true) {
            if let running = runningPID(), Self.networkNamespace("/proc/\(running)") != Self.networkNamespace("/proc/thread-self") {
                kill(running, SIGTERM)
            }
            for name in try FileSystem.listDirectory(directory) ?? [] { try FileSystem.remove(directory + "/" + name) }
        }
    }

    /// The `net:[inode]` link of a process (or `/proc/thread-self`); nil when it is gone.
    private static func networkNamespace(_ process: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 64)
        let count = readlink(process + "/ns/net", &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Stops aardvark-dns when no network file is left, reloads it when running, starts it otherwise.
    private func apply() throws {
        let networks = (try FileSystem.listDirectory(directory) ?? []).filter { $0 != Self.pidFileName && FileSystem.temporaryWriter($0) == nil }
        let running = runningPID()
        if networks.isEmpty {
            if let running { kill(running, SIGTERM) }
            try FileSystem.remove(pidFile)
            return
        }
        if let running {
            guard kill(running, SIGHUP) == 0 else { throw PontoonError(.system, "cannot reload aardvark-dns (pid \(running))") }
            return
        }
        let status = try ChildProcesses.launchDetached(binary, arguments: ["--config", directory, "-p", "\(port)", "run"], environment: [:])
        guard status == 0 else {
            throw PontoonError(.system, "aardvark-dns (\(binary)) failed to start: exit status \(status)")
        }
    }

    /// The daemon's pid when the pid file names a live aardvark-dns (a reused pid is someone else;
    /// one that died is a zombie until init reaps it, and is restarted, not sent a SIGHUP).
    private func runningPID() -> pid_t? {
        guard let bytes = try? FileSystem.readFile(pidFile, limit: 64),
              let pid = pid_t(String(decoding: bytes, as: UTF8.self).filter { $0.isNumber }),
              ProcessStatus.running(pid, named: "aardvark") else { return nil }
        return pid
    }

    private func path(_ network: String) -> String { directory + "/" + network }

    /// A writer killed between writing a network's temporary file and renaming it leaves the
    /// temporary behind (no later write has its pid): removed under the lock once its writer is gone.
    private func removeAbandonedTemporaries() throws {
        for name in try FileSystem.listDirectory(directory) ?? [] {
            guard let writer = FileSystem.temporaryWriter(name), !Processes.isRunning(writer) else { continue }
            try FileSystem.remove("\(directory)/\(name)")
        }
    }

    private func read(_ network: String) throws -> [String]? {
        try FileSystem.readFile(path(network)).map { String(decoding: $0, as: UTF8.self).split(separator: "\n").map(String.init) }
            .flatMap { $0.isEmpty ? nil : $0 }
    }

    private func write(_ network: String, _ lines: [String]) throws {
        try FileSystem.writeAtomically(path(network), contents: Array((lines.joined(separator: "\n") + "\n").utf8), mode: 0o644)
    }
}

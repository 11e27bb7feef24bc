import Foundation
import NetAddress
import Pontoon
import TestSupport

/// A private directory under /tmp for one test; `withScratch` removes it however the test ends.
struct Scratch: Sendable {
    let path: String

    /// Where the test's host-local stores live (`dataDir`); not created up front, so tests can see
    /// whether an operation created it.
    var dataDir: String { path + "/data" }

    func store(_ network: String = "net1") -> String { dataDir + "/" + network }
}

func withScratch(_ body: (Scratch) throws -> Void) throws {
    let directory = try TemporaryDirectory("pontoon-ipam")
    defer { directory.remove() }
    try body(Scratch(path: directory.path))
}

/// `body` with a host-local allocator for network net1 over `sets`, in a scratch directory of its
/// own, once it has leased addresses to the containers `holders` (eth0), in that order.
func withAllocator(_ sets: [[AddressRange]], leasedTo holders: [String] = [],
                   _ body: (HostLocalAllocator, Scratch) throws -> Void) throws {
    try withScratch { scratch in
        let allocator = hostLocal(sets, in: scratch)
        for holder in holders { _ = try allocator.allocate(for: attachment(holder)) }
        try body(allocator, scratch)
    }
}

// MARK: Building configs and attachments

func ip(_ text: String) -> IPAddress { IPAddress(text)! }
func net(_ text: String) -> IPNetwork { IPNetwork(text)! }

func range(_ subnet: String, start: String? = nil, end: String? = nil, gateway: String? = nil) -> AddressRange {
    AddressRange(subnet: net(subnet), rangeStart: start.map(ip), rangeEnd: end.map(ip), gateway: gateway.map(ip))
}

func hostLocal(_ sets: [[AddressRange]], in scratch: Scratch, name: String = "net1",
               routes: [Route] = [], resolvConf: String? = nil) -> HostLocalAllocator {
    HostLocalAllocator(config: HostLocalConfig(networkName: name, dataDir: scratch.dataDir, rangeSets: sets,
                                               routes: routes, resolvConf: resolvConf))
}

func attachment(_ containerID: String, _ ifName: String = "eth0", requesting requested: [String] = []) -> Attachment {
    Attachment(id: AttachmentID(containerID: containerID, ifName: ifName), netnsPath: "/var/run/netns/\(containerID)",
               network: BridgeNetwork(name: "net1"), requestedIPs: requested.map(ip))
}

extension AddressAllocator {
    /// The engine's call, spelled from a test attachment.
    func allocate(for attachment: Attachment) throws -> IPAMResult {
        try allocate(for: attachment.id, requesting: attachment.requestedIPs)
    }
}

func id(_ containerID: String, _ ifName: String = "eth0") -> AttachmentID {
    AttachmentID(containerID: containerID, ifName: ifName)
}

extension IPAMResult {
    /// The addresses in text form, e.g. `["10.9.0.2/29"]`.
    var cidrs: [String] { addresses.map(\.address.description) }
}

// MARK: Looking at the store

enum Disk {
    static func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

    static func bytes(_ path: String) -> [UInt8]? { FileManager.default.contents(atPath: path).map(Array.init) }

    static func text(_ path: String) -> String? { bytes(path).map { String(decoding: $0, as: UTF8.self) } }

    static func write(_ text: String, to path: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    /// Permission bits of a file.
    static func mode(_ path: String) -> Int? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Int(info.st_mode & 0o7777)
    }

    static func names(_ directory: String) -> Set<String> {
        Set((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
    }

    /// The names in a store that are leases (everything but the lock, the round-robin files and
    /// Pontoon's lease index, which `LeaseIndexTests` checks on its own).
    static func leaseNames(_ directory: String) -> Set<String> {
        names(directory).filter { $0 != "lock" && !$0.hasPrefix("last_reserved_ip.") && $0 != leaseIndex }
    }

    static let leaseIndex = ".pontoon-index"

    /// This process's umask, read without changing it (umask(2) would race with other tests).
    static var umask: Int {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("Umask:") }
        return line.flatMap { Int($0.dropFirst("Umask:".count).trimmingCharacters(in: .whitespaces), radix: 8) } ?? 0o022
    }
}

// MARK: The reference plugin

/// containernetworking-plugins' host-local, run as a child process exactly as a runtime would.
enum ReferenceHostLocal {
    static let path = "/usr/lib/cni/host-local"
    static var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: path) }

    struct Outcome {
        var status: Int32
        var stdout: String
    }

    static func config(_ ipam: String, dataDir: String, name: String = "net1") -> String {
        #"{"cniVersion":"1.0.0","name":"\#(name)","type":"bridge","ipam":{"type":"host-local","dataDir":"\#(dataDir)",\#(ipam)}}"#
    }

    static func environment(_ command: String, containerID: String, ifName: String) -> [String: String] {
        ["CNI_COMMAND": command, "CNI_CONTAINERID": containerID, "CNI_NETNS": "/var/run/netns/\(containerID)",
         "CNI_IFNAME": ifName, "CNI_PATH": "/usr/lib/cni", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"]
    }

    static func start(_ command: String, containerID: String, ifName: String = "eth0", config: String) throws -> RunningProcess {
        try TestRun.start(path, environment: environment(command, containerID: containerID, ifName: ifName), stdin: Data(config.utf8))
    }

    static func finish(_ started: RunningProcess) -> Outcome {
        let result = started.finish()
        return Outcome(status: result.status, stdout: result.stdoutText)
    }

    @discardableResult
    static func run(_ command: String, containerID: String, ifName: String = "eth0", config: String) throws -> Outcome {
        finish(try start(command, containerID: containerID, ifName: ifName, config: config))
    }
}

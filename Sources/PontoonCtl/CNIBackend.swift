import CNI
import Foundation
import HostSystem
import Netavark

/// A network served by a CNI conflist, run with libcni's rules: every plugin gets the list's
/// `name` and `cniVersion`; ADD runs in order with `prevResult` chained, DEL in reverse with the
/// cached result, CHECK (0.4.0+) with it too; `runtimeConfig` carries only the capabilities a
/// plugin declares; `CNI_ARGS` is podman's. The last result is cached per container and network.
/// A rootless container's plugins run inside the rootless netns (`ControlPaths.pluginPrefix`), as
/// podman's CNI backend runs them, with its published ports as slirp4netns delivers them there.
struct CNIBackend: NetworkBackend {
    let paths: ControlPaths
    let file: NetworkFile

    static let callerAllocatesAddresses = false

    static func serving(_ entry: NetworkEntry, paths: ControlPaths) -> (group: String, backend: CNIBackend) {
        ("cni " + entry.request.network, CNIBackend(paths: paths, file: entry.file))
    }

    /// A conflist as run: the checks below have passed.
    struct ConfList {
        var name: String
        var cniVersion: String
        var plugins: [(type: String, conf: PluginConf)]
        var bytes: Data
    }

    func confList() throws(CtlError) -> ConfList {
        guard let given = file.backend.conflist, !given.isEmpty else {
            throw CtlError(.failed, "network \(file.network.name) uses the cni backend but names no conflist")
        }
        let path = given.hasPrefix("/") ? given : paths.configDirectory + "/" + given
        guard let bytes = FileManager.default.contents(atPath: path) else {
            throw CtlError(.notFound, "conflist \(path) of network \(file.network.name) cannot be read")
        }
        guard let list = try? JSONDecoder().decode(NetConfList.self, from: bytes) else {
            throw CtlError(.failed, "conflist \(path) is not a JSON object")
        }
        guard let name = list.name, !name.isEmpty else { throw CtlError(.failed, "conflist \(path) has no name") }
        let typed = (list.plugins ?? []).compactMap { plugin in plugin.type.flatMap { $0.isEmpty ? nil : (type: $0, conf: plugin) } }
        guard !typed.isEmpty, typed.count == list.plugins?.count else {
            throw CtlError(.failed, "conflist \(path) needs a non-empty plugins list, each with a type")
        }
        return ConfList(name: name, cniVersion: list.cniVersion ?? "0.4.0", plugins: typed, bytes: bytes)
    }

    /// libcni compares versions numerically.
    static func atLeast(_ version: String, _ minimum: [Int]) -> Bool {
        let parts = version.split(separator: ".").map { Int($0) ?? 0 }
        return parts.lexicographicallyPrecedes(minimum) == false
    }

    private func cachePath(_ record: ContainerRecord, _ request: NetworkRequest) -> String {
        paths.cniCacheDirectory + "/\(record.id)-\(request.network)-\(request.interface).json"
    }

    /// libcni's result cache: the last result of ADD, read back for DEL and CHECK.
    struct CacheEntry: Codable {
        var kind = "cniCacheV1"
        var containerId: String
        var ifName: String
        var networkName: String
        var config: String
        var result: WireResult
    }

    private func cachedResult(_ record: ContainerRecord, _ request: NetworkRequest) -> WireResult? {
        FileManager.default.contents(atPath: cachePath(record, request))
            .flatMap { try? JSONCoding.decode(CacheEntry.self, from: Array($0), what: "cache", tolerantExcept: []) }?.result
    }

    /// What the capabilities may carry for this container, by capability name.
    private func runtimeValues(_ record: ContainerRecord, _ request: NetworkRequest, _ list: ConfList) -> [String: JSONValue] {
        var values: [String: JSONValue] = ["aliases": .object([list.name: .array(request.aliases.map(JSONValue.string))])]
        if !record.ports.isEmpty {
            values["portMappings"] = .array(paths.pluginPorts(record.ports).flatMap { mapping in
                (0..<(mapping.range ?? 1)).map { offset -> JSONValue in
                    var entry: [String: JSONValue] = ["hostPort": .int(mapping.hostPort + offset),
                                                      "containerPort": .int(mapping.containerPort + offset),
                                                      "protocol": .string(mapping.protocol)]
                    if let hostIP = mapping.hostIP, !hostIP.isEmpty { entry["hostIP"] = .string(hostIP) }
                    return .object(entry)
                }
            })
        }
        if !request.staticIPs.isEmpty { values["ips"] = .array(request.staticIPs.map(JSONValue.string)) }
        if let mac = request.staticMAC { values["mac"] = .string(mac) }
        return values
    }

    private func environment(_ command: String, _ record: ContainerRecord, _ request: NetworkRequest) -> [String: String] {
        var args = ["IgnoreUnknown=1", "K8S_POD_NAME=\(record.cniPodName)"]
        if let mac = request.staticMAC { args.append("MAC=\(mac)") }
        if !request.staticIPs.isEmpty { args.append("IP=" + request.staticIPs.joined(separator: ",")) }
        return ["CNI_COMMAND": command, "CNI_CONTAINERID": record.id, "CNI_NETNS": record.netns, "CNI_IFNAME": request.interface,
                "CNI_ARGS": args.joined(separator: ";"), "CNI_PATH": paths.searchPath.joined(separator: ":")]
    }

    /// What a plugin says when it fails; anything of another shape reads as absent.
    private struct PluginFailure: Decodable {
        var code: Int?
        var msg: String?
        var details: String?
    }

    /// One plugin run; its result when it printed one.
    private func exec(_ command: String, _ plugin: (type: String, conf: PluginConf), _ list: ConfList, _ record: ContainerRecord,
                      _ request: NetworkRequest, prevResult: WireResult?) throws(CtlError) -> WireResult? {
        let config = plugin.conf.config(name: list.name, cniVersion: list.cniVersion, prevResult: prevResult,
                                        runtimeValues: runtimeValues(record, request, list))
        let run = try PluginRun.run(try paths.plugin(plugin.type), [], environment: environment(command, record, request),
                                    stdin: Data(JSONCoding.encode(config)), prefix: paths.pluginPrefix)
        guard run.status == 0 else {
            let error = try? JSONCoding.decode(PluginFailure.self, from: Array(run.stdout), what: "error", tolerantExcept: [])
            let message = [error?.msg, error?.details].compactMap { $0 }.joined(separator: ": ")
            let code = error?.code.map { " code \($0)" } ?? ""
            throw CtlError(.failed, "\(command) of network \(request.network) by plugin \(plugin.type) failed (exit \(run.status)\(code)): "
                + (message.isEmpty ? run.stdoutText + String(decoding: run.stderr, as: UTF8.self) : message))
        }
        return try? JSONCoding.decode(WireResult.self, from: Array(run.stdout), what: "result", tolerantExcept: [])
    }

    /// A conflist serves one network, so its group holds one.
    func setup(_ record: ContainerRecord, _ networks: [NetworkEntry]) throws(CtlError) -> [String: StatusBlock] {
        var statuses: [String: StatusBlock] = [:]
        for (request, _) in networks { statuses[request.network] = try add(record, request) }
        return statuses
    }

    func teardown(_ record: ContainerRecord, _ networks: [NetworkEntry]) throws(CtlError) {
        for (request, _) in networks.reversed() { try delete(record, request) }
    }

    /// ADD through the list; on failure DEL what ran, so nothing is left half made.
    func add(_ record: ContainerRecord, _ request: NetworkRequest) throws(CtlError) -> StatusBlock {
        let list = try confList()
        guard Self.atLeast(list.cniVersion, [0, 3, 0]) else {
            throw CtlError(.usage, "conflist \(list.name): cniVersion \(list.cniVersion) is older than 0.3.0, which pontoonctl reads")
        }
        try loopbackUp(record.netns)
        var result: WireResult?
        do throws(CtlError) {
            for plugin in list.plugins {
                result = try exec("ADD", plugin, list, record, request, prevResult: result) ?? result
            }
        } catch {
            try? delete(record, request, list: list, prevResult: result)
            throw error
        }
        guard let result else { throw CtlError(.failed, "ADD of network \(request.network) gave no result") }
        try Store.makeDirectory(paths.cniCacheDirectory)
        let cache = CacheEntry(containerId: record.id, ifName: request.interface, networkName: list.name,
                               config: String(decoding: list.bytes, as: UTF8.self), result: result)
        try Store.write(Data(JSONCoding.encode(cache)), to: cachePath(record, request))
        return Self.status(result, netns: record.netns, interface: request.interface)
    }

    /// libpod's CNI backend sets the container's loopback up before the plugins run (netavark and
    /// pontoon do it themselves; the reference `bridge` does not): without it 127.0.0.1 does not
    /// answer, and containers sharing the namespace (a pod) cannot reach each other over it.
    private func loopbackUp(_ netns: String) throws(CtlError) {
        guard !paths.pluginPrefix.isEmpty else { return try NamespaceFiles.loopbackUp(netns) }
        // Rootless: the namespace is the rootless user namespace's, entered as the plugins enter it.
        let ip = ChildProcess.find("ip", in: ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]) ?? "/sbin/ip"
        let run = try PluginRun.run("/usr/bin/nsenter", ["--net=" + netns, ip, "link", "set", "lo", "up"], environment: [:],
                                    stdin: Data(), prefix: paths.pluginPrefix)
        guard run.status == 0 else {
            throw CtlError(.failed, "cannot bring loopback up in \(netns): \(String(decoding: run.stderr, as: UTF8.self))")
        }
    }

    func delete(_ record: ContainerRecord, _ request: NetworkRequest) throws(CtlError) {
        let list = try confList()
        try delete(record, request, list: list, prevResult: cachedResult(record, request))
        try? FileManager.default.removeItem(atPath: cachePath(record, request))
    }

    /// DEL in reverse; every plugin is called even when one fails, the first failure is reported.
    private func delete(_ record: ContainerRecord, _ request: NetworkRequest, list: ConfList, prevResult: WireResult?) throws(CtlError) {
        let previous = Self.atLeast(list.cniVersion, [0, 4, 0]) ? prevResult : nil
        var first: CtlError?
        for plugin in list.plugins.reversed() {
            do throws(CtlError) {
                _ = try exec("DEL", plugin, list, record, request, prevResult: previous)
            } catch {
                if first == nil { first = error }
            }
        }
        if let first { throw first }
    }

    /// CHECK with the cached result, where the version has it.
    func check(_ record: ContainerRecord, _ request: NetworkRequest) throws(CtlError) {
        let list = try confList()
        guard Self.atLeast(list.cniVersion, [0, 4, 0]) else { return }
        guard let cached = cachedResult(record, request) else {
            throw CtlError(.notFound, "no cached result for network \(request.network) of container \(record.name)")
        }
        for plugin in list.plugins { _ = try exec("CHECK", plugin, list, record, request, prevResult: cached) }
    }

    /// A CNI result (0.3.0 and later) in netavark's shape: the interfaces inside the container
    /// and their addresses, the DNS the result names.
    static func status(_ result: WireResult, netns: String, interface: String) -> StatusBlock {
        var block = StatusBlock()
        let ips = result.ips ?? []
        for (index, entry) in (result.interfaces ?? []).enumerated() {
            guard let sandbox = entry.sandbox, !sandbox.isEmpty else { continue }
            let subnets = ips.filter { $0.interface == index }.map { StatusBlock.NetAddress(ipnet: $0.address, gateway: $0.gateway) }
            block.interfaces[entry.name] = StatusBlock.NetInterface(macAddress: entry.mac ?? "", subnets: subnets)
        }
        if block.interfaces.isEmpty, !ips.isEmpty {
            // A result that names no sandbox interface: the addresses still belong to the one asked for.
            block.interfaces[interface] = StatusBlock.NetInterface(macAddress: "", subnets: ips.map {
                StatusBlock.NetAddress(ipnet: $0.address, gateway: $0.gateway)
            })
        }
        block.dnsServerIPs = result.dns?.nameservers ?? []
        block.dnsSearchDomains = result.dns?.search ?? []
        return block
    }
}

import Foundation
import Netavark

/// A network served by a CNI conflist, run with libcni's rules: every plugin gets the list's
/// `name` and `cniVersion`; ADD runs in order with `prevResult` chained, DEL in reverse with the
/// cached result, CHECK (0.4.0+) with it too; `runtimeConfig` carries only the capabilities a
/// plugin declares; `CNI_ARGS` is podman's. The last result is cached per container and network.
struct CNIBackend {
    let paths: ControlPaths
    let file: NetworkFile

    struct ConfList {
        var name: String
        var cniVersion: String
        var plugins: [[String: Any]]
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
        guard let object = try? JSONSerialization.jsonObject(with: bytes) as? [String: Any] else {
            throw CtlError(.failed, "conflist \(path) is not a JSON object")
        }
        guard let name = object["name"] as? String, !name.isEmpty else { throw CtlError(.failed, "conflist \(path) has no name") }
        let version = object["cniVersion"] as? String ?? "0.4.0"
        guard let plugins = object["plugins"] as? [[String: Any]], !plugins.isEmpty,
              plugins.allSatisfy({ ($0["type"] as? String).map { !$0.isEmpty } ?? false }) else {
            throw CtlError(.failed, "conflist \(path) needs a non-empty plugins list, each with a type")
        }
        return ConfList(name: name, cniVersion: version, plugins: plugins, bytes: bytes)
    }

    /// libcni compares versions numerically.
    static func atLeast(_ version: String, _ minimum: [Int]) -> Bool {
        let parts = version.split(separator: ".").map { Int($0) ?? 0 }
        return parts.lexicographicallyPrecedes(minimum) == false
    }

    private func cachePath(_ record: ContainerRecord, _ request: NetworkRequest) -> String {
        paths.cniCacheDirectory + "/\(record.id)-\(request.network)-\(request.interface).json"
    }

    /// What the capabilities may carry for this container, by capability name.
    private func runtimeValues(_ record: ContainerRecord, _ request: NetworkRequest, _ list: ConfList) -> [String: Any] {
        var values: [String: Any] = ["aliases": [list.name: request.aliases]]
        if !record.ports.isEmpty {
            values["portMappings"] = record.ports.flatMap { mapping in
                (0..<(mapping.range ?? 1)).map { offset -> [String: Any] in
                    var entry: [String: Any] = ["hostPort": mapping.hostPort + offset, "containerPort": mapping.containerPort + offset,
                                                "protocol": mapping.protocol]
                    if let hostIP = mapping.hostIP, !hostIP.isEmpty { entry["hostIP"] = hostIP }
                    return entry
                }
            }
        }
        if !request.staticIPs.isEmpty { values["ips"] = request.staticIPs }
        if let mac = request.staticMAC { values["mac"] = mac }
        return values
    }

    private func environment(_ command: String, _ record: ContainerRecord, _ request: NetworkRequest) -> [String: String] {
        var args = ["IgnoreUnknown=1", "K8S_POD_NAME=\(record.name)"]
        if let mac = request.staticMAC { args.append("MAC=\(mac)") }
        if !request.staticIPs.isEmpty { args.append("IP=" + request.staticIPs.joined(separator: ",")) }
        return ["CNI_COMMAND": command, "CNI_CONTAINERID": record.id, "CNI_NETNS": record.netns, "CNI_IFNAME": request.interface,
                "CNI_ARGS": args.joined(separator: ";"), "CNI_PATH": paths.searchPath.joined(separator: ":")]
    }

    /// One plugin's stdin: its own config with the list's name and version, the previous result
    /// and the runtime values of the capabilities it declares.
    private func stdin(_ plugin: [String: Any], _ list: ConfList, prevResult: Any?, runtime: [String: Any]) -> Data {
        var config = plugin
        config["name"] = list.name
        config["cniVersion"] = list.cniVersion
        if let prevResult { config["prevResult"] = prevResult }
        let declared = (plugin["capabilities"] as? [String: Any])?.filter { ($0.value as? Bool) == true }.map(\.key) ?? []
        var runtimeConfig: [String: Any] = [:]
        for capability in declared { if let value = runtime[capability] { runtimeConfig[capability] = value } }
        if !runtimeConfig.isEmpty { config["runtimeConfig"] = runtimeConfig } else { config.removeValue(forKey: "runtimeConfig") }
        return (try? JSONSerialization.data(withJSONObject: config, options: [.withoutEscapingSlashes])) ?? Data()
    }

    private func exec(_ command: String, _ plugin: [String: Any], _ list: ConfList, _ record: ContainerRecord,
                      _ request: NetworkRequest, prevResult: Any?) throws(CtlError) -> Any? {
        let type = plugin["type"] as! String
        let executable = try paths.plugin(type)
        let run = try PluginRun.run(executable, [], environment: environment(command, record, request),
                                    stdin: stdin(plugin, list, prevResult: prevResult, runtime: runtimeValues(record, request, list)))
        let answer = run.stdout.isEmpty ? nil : try? JSONSerialization.jsonObject(with: run.stdout)
        guard run.status == 0 else {
            let error = answer as? [String: Any]
            let message = [error?["msg"] as? String, error?["details"] as? String].compactMap { $0 }.joined(separator: ": ")
            let code = error?["code"].map { " code \($0)" } ?? ""
            throw CtlError(.failed, "\(command) of network \(request.network) by plugin \(type) failed (exit \(run.status)\(code)): "
                + (message.isEmpty ? run.stdoutText + String(decoding: run.stderr, as: UTF8.self) : message))
        }
        return answer
    }

    /// ADD through the list; on failure DEL what ran, so nothing is left half made.
    func add(_ record: ContainerRecord, _ request: NetworkRequest) throws(CtlError) -> StatusBlock {
        let list = try confList()
        guard Self.atLeast(list.cniVersion, [0, 3, 0]) else {
            throw CtlError(.usage, "conflist \(list.name): cniVersion \(list.cniVersion) is older than 0.3.0, which pontoonctl reads")
        }
        var result: Any?
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
        let cache: [String: Any] = ["kind": "cniCacheV1", "containerId": record.id, "ifName": request.interface,
                                    "networkName": list.name, "config": String(decoding: list.bytes, as: UTF8.self), "result": result]
        try Store.write((try? JSONSerialization.data(withJSONObject: cache, options: [.withoutEscapingSlashes])) ?? Data(),
                        to: cachePath(record, request))
        return Self.status(result, netns: record.netns, interface: request.interface)
    }

    func delete(_ record: ContainerRecord, _ request: NetworkRequest) throws(CtlError) {
        let list = try confList()
        let cached = FileManager.default.contents(atPath: cachePath(record, request))
            .flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
        try delete(record, request, list: list, prevResult: cached?["result"])
        try? FileManager.default.removeItem(atPath: cachePath(record, request))
    }

    /// DEL in reverse; every plugin is called even when one fails, the first failure is reported.
    private func delete(_ record: ContainerRecord, _ request: NetworkRequest, list: ConfList, prevResult: Any?) throws(CtlError) {
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
        guard let cached = FileManager.default.contents(atPath: cachePath(record, request))
            .flatMap({ try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }) else {
            throw CtlError(.notFound, "no cached result for network \(request.network) of container \(record.name)")
        }
        for plugin in list.plugins { _ = try exec("CHECK", plugin, list, record, request, prevResult: cached["result"]) }
    }

    /// A CNI result (0.3.0 and later) in netavark's shape: the interfaces inside the container
    /// and their addresses, the DNS the result names.
    static func status(_ result: Any, netns: String, interface: String) -> StatusBlock {
        let object = result as? [String: Any] ?? [:]
        let interfaces = object["interfaces"] as? [[String: Any]] ?? []
        var block = StatusBlock()
        for (index, entry) in interfaces.enumerated() {
            guard let sandbox = entry["sandbox"] as? String, !sandbox.isEmpty, let name = entry["name"] as? String else { continue }
            let subnets = (object["ips"] as? [[String: Any]] ?? []).filter { ($0["interface"] as? Int) == index }.compactMap {
                ip -> StatusBlock.NetAddress? in
                guard let address = ip["address"] as? String else { return nil }
                return StatusBlock.NetAddress(ipnet: address, gateway: ip["gateway"] as? String)
            }
            block.interfaces[name] = StatusBlock.NetInterface(macAddress: entry["mac"] as? String ?? "", subnets: subnets)
        }
        if block.interfaces.isEmpty, let ips = object["ips"] as? [[String: Any]], !ips.isEmpty {
            // A result that names no sandbox interface: the addresses still belong to the one asked for.
            block.interfaces[interface] = StatusBlock.NetInterface(macAddress: "", subnets: ips.compactMap { ip in
                (ip["address"] as? String).map { StatusBlock.NetAddress(ipnet: $0, gateway: ip["gateway"] as? String) }
            })
        }
        let dns = object["dns"] as? [String: Any] ?? [:]
        block.dnsServerIPs = dns["nameservers"] as? [String] ?? []
        block.dnsSearchDomains = dns["search"] as? [String] ?? []
        return block
    }
}

import Foundation
import Netavark

/// Networks served through netavark's protocol (pontoon by default, or netavark itself): one
/// `setup` for every network of the same plugin, NetworkOptions in, StatusBlock map out, as podman.
struct NetavarkBackend: NetworkBackend {
    let paths: ControlPaths
    let plugin: String

    static let callerAllocatesAddresses = true

    static func serving(_ entry: NetworkEntry, paths: ControlPaths) -> (group: String, backend: NetavarkBackend) {
        let plugin = entry.file.backend.plugin ?? "pontoon"
        return ("netavark " + plugin, NetavarkBackend(paths: paths, plugin: plugin))
    }

    func options(_ record: ContainerRecord, _ networks: [NetworkEntry]) -> NetworkOptions {
        NetworkOptions(
            containerID: record.id, containerName: record.cniPodName, containerHostname: record.hostname,
            portMappings: record.ports.isEmpty ? nil : paths.pluginPorts(record.ports),
            networks: networks.map { request, _ in
                NamedNetworkOptions(name: request.network, options: PerNetworkOptions(
                    staticIPs: request.staticIPs.isEmpty ? nil : request.staticIPs, staticMAC: request.staticMAC,
                    aliases: request.aliases, interfaceName: request.interface))
            },
            networkInfo: Dictionary(networks.map { ($0.0.network, $0.1.network) }, uniquingKeysWith: { first, _ in first }),
            dnsServers: record.dnsServers.isEmpty ? nil : record.dnsServers)
    }

    private func invoke(_ verb: String, _ record: ContainerRecord, _ networks: [NetworkEntry]) throws(CtlError) -> PluginRun {
        let executable = try paths.plugin(plugin)
        try Store.makeDirectory(paths.netavarkConfigDirectory)
        let stdin = Store.encode(options(record, networks))
        let run = try PluginRun.run(executable, ["--config", paths.netavarkConfigDirectory, "--rootless=\(paths.rootless != nil)",
                                                 "--aardvark-binary=\(paths.aardvarkBinary)", verb, record.netns],
                                    environment: [:], stdin: stdin, prefix: paths.pluginPrefix)
        if run.status != 0 {
            let names = networks.map(\.0.network).joined(separator: ", ")
            let reason = (try? JSONDecoder().decode(ErrorDocument.self, from: run.stdout))?.error
                ?? (run.stdoutText.isEmpty ? String(decoding: run.stderr, as: UTF8.self) : run.stdoutText)
            throw CtlError(.failed, "\(verb) of network \(names) by \(plugin) failed (exit \(run.status)): \(reason)")
        }
        return run
    }

    func setup(_ record: ContainerRecord, _ networks: [NetworkEntry]) throws(CtlError) -> [String: StatusBlock] {
        let run = try invoke("setup", record, networks)
        guard let answer = try? JSONDecoder().decode([String: StatusBlock].self, from: run.stdout) else {
            // Something was made but its answer is unreadable: undo it rather than keep an unknown state.
            _ = try? invoke("teardown", record, networks)
            throw CtlError(.failed, "\(plugin) answered setup with something that is not a StatusBlock map: \(run.stdoutText)")
        }
        var statuses: [String: StatusBlock] = [:]
        for (request, _) in networks {
            guard let status = answer[request.network] else {
                try? teardown(record, networks)
                throw CtlError(.failed, "\(plugin) answered setup without network \(request.network)")
            }
            statuses[request.network] = status
        }
        return statuses
    }

    func teardown(_ record: ContainerRecord, _ networks: [NetworkEntry]) throws(CtlError) {
        _ = try invoke("teardown", record, networks)
    }
}

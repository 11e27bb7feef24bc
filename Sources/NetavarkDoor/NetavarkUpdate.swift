import Pontoon

/// `update <network> --network-dns-servers a,b`: rewrite the upstream servers in the network's
/// aardvark-dns file and have aardvark-dns reload, as netavark 1.x does. A network no running
/// container has DNS entries on has no file: nothing to do (podman has already stored the servers
/// in the network's definition; they arrive with its next setup as `network_dns_servers`).
struct NetavarkUpdate {
    let configDirectory: String
    let aardvarkBinary: String
    let network: String
    let servers: [String]
    /// `--rootless=true`: the state follows the rootless netns (`NetavarkState.renewRootless`).
    var rootless = false

    func run() throws {
        try Names.validateNetworkName(network)
        let addresses = try NetworkPlan.servers(servers, "update \(network): --network-dns-servers")
        if rootless { try NetavarkState.renewRootless(configDirectory, aardvarkBinary: aardvarkBinary, create: false) }
        _ = try NetavarkState.dns(configDirectory, binary: aardvarkBinary).updateNetworkDNSServers(network: network, servers: addresses)
    }
}

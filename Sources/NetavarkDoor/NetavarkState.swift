import Pontoon

/// Where netavark mode keeps its own state under `--config`: attachment records and the leases
/// of networks podman sends without static IPs.
enum NetavarkState {
    static func records(_ configDirectory: String) -> String { configDirectory + "/pontoon" }
    static func leases(_ configDirectory: String) -> String { configDirectory + "/pontoon-ipam" }

    static func dns(_ configDirectory: String, binary: String) -> AardvarkDNS {
        AardvarkDNS(directory: configDirectory + "/aardvark-dns", lockDirectory: configDirectory + "/pontoon-dns", binary: binary)
    }
}

extension NetavarkState {
    /// The engine over netavark mode's records.
    static func engine(_ configDirectory: String) -> Engine { Engine(stateDirectory: records(configDirectory)) }
}

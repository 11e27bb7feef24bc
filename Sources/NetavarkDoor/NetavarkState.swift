import Pontoon

/// Where netavark mode keeps its own state under `--config`: attachment records and the leases
/// of networks podman sends without static IPs.
enum NetavarkState {
    static func records(_ configDirectory: String) -> String { configDirectory + "/pontoon" }
    static func leases(_ configDirectory: String) -> String { configDirectory + "/pontoon-ipam" }

    /// `port`: where a started aardvark-dns listens (one already running keeps its own).
    static func dns(_ configDirectory: String, binary: String, port: UInt16 = 53) -> AardvarkDNS {
        AardvarkDNS(directory: configDirectory + "/aardvark-dns", lockDirectory: configDirectory + "/pontoon-dns", binary: binary, port: port)
    }
}

extension NetavarkState {
    /// Where `--rootless=true` keeps the identity of the network namespace the state belongs to.
    static func epoch(_ configDirectory: String) -> String { configDirectory + "/pontoon-netns" }

    /// `--rootless=true`: podman runs us in its rootless network namespace while `--config` is in
    /// `XDG_RUNTIME_DIR`, which outlives that namespace (see `NamespaceEpoch`). When the namespace
    /// is not the one the state was made in, the old one's records, leases and DNS entries go (and
    /// its stranded aardvark-dns). Each verb calls this once its input is valid and before it
    /// touches the state; only setup (`create`) stamps a `--config` that has no stamp yet.
    @discardableResult
    static func renewRootless(_ configDirectory: String, aardvarkBinary: String, identity: String? = nil, create: Bool) throws -> Bool {
        let dns = dns(configDirectory, binary: aardvarkBinary)
        let current = try identity ?? NamespaceEpoch.currentIdentity()
        let discarded = try NamespaceEpoch.renew(epoch(configDirectory), current: current,
                                                 stale: [records(configDirectory), leases(configDirectory)], create: create,
                                                 discard: { try dns.discardAll() })
        if discarded { Log.info("rootless network namespace is new (\(current)): discarded the state of the one that is gone") }
        return discarded
    }

    /// `--rootless=true`, after a teardown: once no attachment, claim, lease or DNS entry is left,
    /// the stamp goes with them (`NamespaceEpoch.release`).
    static func releaseRootless(_ configDirectory: String) throws {
        try NamespaceEpoch.release(epoch(configDirectory), state: [records(configDirectory), leases(configDirectory),
                                                                    configDirectory + "/aardvark-dns"])
    }

    /// The engine over netavark mode's records.
    static func engine(_ configDirectory: String) -> Engine { Engine(stateDirectory: records(configDirectory)) }
}

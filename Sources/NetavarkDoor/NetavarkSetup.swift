import Netavark
import Pontoon

/// `setup <netns>`: every requested network, all or nothing, then the container's names in
/// aardvark-dns (once every interface exists: aardvark answers on the gateways).
struct NetavarkSetup {
    let configDirectory: String
    let aardvarkBinary: String
    let firewall: FirewallKind
    let netns: String
    let options: NetworkOptions
    /// `--rootless=true`: the state follows the rootless netns (`NetavarkState.renewRootless`).
    var rootless = false
    /// `NETAVARK_DNS_PORT`: aardvark-dns's port; not 53, the firewall redirects 53 there.
    var dnsPort: UInt16 = 53

    func run() throws -> ([String: StatusBlock], () -> Void) {
        try Names.validateContainerID(options.containerID)
        let plans = try NetavarkPlans.make(options, netns: netns, configDirectory: configDirectory, firewall: firewall,
                                           forSetup: true, dnsPort: dnsPort)
        if rootless { try NetavarkState.renewRootless(configDirectory, aardvarkBinary: aardvarkBinary, create: true) }
        // A failed or undone setup takes the stamp too when it leaves no state (a first setup made it).
        let releaseStamp = { if rootless { try? NetavarkState.releaseRootless(configDirectory) } }
        let (results, undoNetworks): ([AttachmentResult], AttachmentUndo)
        do {
            (results, undoNetworks) = try NetavarkState.engine(configDirectory).attach(plans.map(\.request))
        } catch {
            releaseStamp()
            throw error
        }
        var statuses: [String: StatusBlock] = [:]
        var additions: [AardvarkDNS.Addition] = []
        for (plan, result) in zip(plans, results) {
            statuses[plan.name] = plan.status(result)
            if let addition = plan.dnsAddition(result) { additions.append(addition) }
        }
        let dns = NetavarkState.dns(configDirectory, binary: aardvarkBinary, port: dnsPort)
        let undoDNS = { if !additions.isEmpty { try? dns.remove(containerID: options.containerID, from: additions.map(\.network)) } }
        do {
            try dns.add(additions)
        } catch {
            // Undone also when adding fails part-way (entries written, then aardvark-dns would not
            // start); the networks go too, so podman sees nothing half made.
            undoDNS()
            undoNetworks()
            releaseStamp()
            throw error
        }
        return (statuses, { undoDNS(); undoNetworks(); releaseStamp() })
    }
}

import Netavark
import Pontoon

/// `teardown <netns>`: every named network, each attempted even when another fails; already gone
/// is fine. The first failure is reported.
struct NetavarkTeardown {
    let configDirectory: String
    let aardvarkBinary: String
    let firewall: FirewallKind
    let netns: String
    let options: NetworkOptions
    /// `--rootless=true`: the state follows the rootless netns (`NetavarkState.renewRootless`).
    var rootless = false

    func run() throws {
        try Names.validateContainerID(options.containerID)
        let plans = try NetavarkPlans.make(options, netns: netns, configDirectory: configDirectory, firewall: firewall, forSetup: false)
        if rootless { try NetavarkState.renewRootless(configDirectory, aardvarkBinary: aardvarkBinary, create: false) }
        var firstError: (any Error)?
        do {
            try NetavarkState.dns(configDirectory, binary: aardvarkBinary)
                .remove(containerID: options.containerID, from: plans.filter(\.dnsEnabled).map(\.name))
        } catch {
            Log.error("removing DNS entries failed: \(error)")
            firstError = error
        }
        do {
            try NetavarkState.engine(configDirectory).detach(plans.map(\.request))
        } catch {
            if firstError == nil { firstError = error }
        }
        if rootless, firstError == nil {
            do { try NetavarkState.releaseRootless(configDirectory) } catch { firstError = error }
        }
        if let firstError { throw firstError }
    }
}

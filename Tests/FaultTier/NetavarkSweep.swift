import Foundation

/// The syscall sweep of the netavark door: one setup (internal network, DNS off, pontoon's IPAM,
/// the bridge already there) and one teardown, every position failed in turn as in `Sweep`.
extension Sweep {
    func runNetavark(faults: [Fault]) {
        try? FileManager.default.createDirectory(atPath: NetavarkTestNetwork.configDirectory, withIntermediateDirectories: true)
        let network = NetavarkTestNetwork(name: "nvsw", bridge: "nvsw\(worker)", subnet: "10.210.\(worker).0/24", gateway: "10.210.\(worker).1", dns: false)
        world.addNamespace("s0")
        let setup = network.call("setup", id: "sweep", container: "s0"), teardown = network.call("teardown", id: "sweep", container: "s0")
        // The bridge is made once, before the snapshot: both operations start with it there.
        _ = world.mustSucceed(setup, plugin: plugin, "setup making the bridge")
        _ = world.mustSucceed(teardown, plugin: plugin, "teardown after making the bridge")
        world.removeNewFiles()
        world.snapshotBase()

        let undo = { world.mustSucceed(teardown, plugin: plugin, "teardown afterwards") }
        let findings = { (_: Bool) in world.findings(allowed: network.allowed, newBridges: false, containers: ["s0": ["lo"]]) }
        let cleanUp = {
            _ = world.spawner.run(teardown.invocation(plugin: plugin))
            for link in Set(world.hostLinks()).subtracting(world.baseLinks) { world.deleteLink(link) }
            if world.containerLinks("s0") != ["lo"] {
                world.deleteNamespace("s0")
                world.addNamespace("s0")
            }
            world.removeNewFiles()
        }
        let subjects = [
            Subject(label: "netavark setup", removes: false, makesBridge: false, prepare: {},
                    invocation: { setup.invocation(plugin: plugin) }, judge: { judgeNetavark($0, verb: "setup") },
                    undo: undo, collect: nil, findings: findings, cleanUp: cleanUp),
            Subject(label: "netavark teardown", removes: true, makesBridge: false,
                    prepare: { _ = world.mustSucceed(setup, plugin: plugin, "setup before the teardown") },
                    invocation: { teardown.invocation(plugin: plugin) }, judge: { judgeNetavark($0, verb: "teardown") },
                    undo: undo, collect: nil, findings: findings, cleanUp: cleanUp),
        ]
        sweep(subjects, faults: faults)
    }
}

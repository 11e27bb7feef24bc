import Foundation

/// The netavark door as the fault tier drives it: global options and a verb on the command line,
/// NetworkOptions on stdin or in a `--file`, answers judged by `NetavarkCall.judge`; teardown
/// undoes setup, and aardvark-dns (started for networks with DNS) is part of what must go.
struct NetavarkDoor: Door {
    let name = "netavark", partPrefix = "nv", tag = "netavark "
    let add = "setup", remove = "teardown", subject = "container"

    // MARK: fuzz

    let fuzzContainers = ["n0", "n1"]
    let fixedSeed: UInt64 = 0x5EED_0000_0AAF
    /// Half the CNI door's count: PONTOON_FUZZ_INPUTS (the long run) scales both doors.
    func fuzzInputs(of total: Int) -> Int { total / 2 }

    /// Starts from podman's captures, with the scratch places the mutations name.
    func fuzzGenerator(_ part: Part, seed: UInt64, containers: [String]) -> ((Int) -> NetavarkFuzzInput)? {
        let captures = NetavarkCaptures.load()
        guard !captures.isEmpty else {
            part.report.fail("netavark fuzz: the podman captures (testdata/podman/podman-netavark-*.json) were not found")
            return nil
        }
        for directory in ["other", "config"] {
            try? FileManager.default.createDirectory(atPath: NetavarkFuzzGenerator.scratch + "/" + directory, withIntermediateDirectories: true)
        }
        writeFile(NetavarkFuzzGenerator.scratch + "/other/plain-file", Array("x".utf8))
        mkfifo(NetavarkFuzzGenerator.scratch + "/other/fifo", 0o600)
        return NetavarkFuzzGenerator(worker: part.worker, seed: seed, containers: containers, captures: captures).make
    }

    func countName(ofError answer: Answer) -> String { "answered {\"error\"}" }
    func undo(_ input: NetavarkFuzzInput, result: [UInt8]) -> NetavarkCall { input.call.with(verb: "teardown") }
    let undoNotAnswering = "did not answer cleanly", cleanUndoCount = "setups then clean teardowns"
    func checksContainers(after verb: String?) -> Bool { true }
    func keptBridges(worker: Int) -> Set<[UInt8]> { Set(NetavarkFuzzGenerator.captureBridges.map { Array($0.utf8) }) }
    func recovery(_ input: NetavarkFuzzInput) -> NetavarkCall? { input.call.with(verb: "teardown") }

    // MARK: kill -9

    let killTrials = 200
    func killHeader(trials: Int, seed: String) -> String {
        "\(trials) trials (even: setup killed, odd: teardown killed; DNS with aardvark-dns in every other pair), seed \(seed); each followed by a teardown, a leftover check (links, records, leases, aardvark-dns entries and process), a fresh setup and teardown"
    }
    let killContainers: [String: Set<String>] = ["k0": ["lo"]]
    let afterKillUndo = "after the teardown"

    /// Two internal networks, DNS off and on (aardvark-dns started, reloaded and stopped under the kill).
    func killTargets(_ part: Part) -> [KillTarget<NetavarkCall>]? {
        try? FileManager.default.createDirectory(atPath: NetavarkTestNetwork.configDirectory, withIntermediateDirectories: true)
        part.world.addNamespace("k0")
        return [false, true].map { dns in
            let network = NetavarkTestNetwork(name: dns ? "nvkdns" : "nvk", bridge: dns ? "nvkd\(part.worker)" : "nvkb\(part.worker)",
                                              subnet: "10.\(dns ? 170 : 160).\(part.worker).0/24", gateway: "10.\(dns ? 170 : 160).\(part.worker).1", dns: dns)
            return KillTarget(attach: { network.call("setup", id: $0, container: "k0") }, detach: { network.call("teardown", id: $0, container: "k0") },
                              collect: nil, allowed: network.allowed, tag: "DNS \(dns ? "on" : "off")", trialCount: dns ? "with DNS" : nil)
        }
    }

    // MARK: syscall sweep

    let sweepTitle = "syscall fault sweep of the netavark door"
    let sweepScope = "a netavark setup (internal network, DNS off) and teardown"

    /// One setup (internal network, DNS off, pontoon's IPAM, the bridge already there) and one teardown.
    func sweepSubjects(_ sweep: Sweep) -> [Sweep.Subject] {
        let world = sweep.world, plugin = sweep.plugin, worker = sweep.part.worker
        try? FileManager.default.createDirectory(atPath: NetavarkTestNetwork.configDirectory, withIntermediateDirectories: true)
        let network = NetavarkTestNetwork(name: "nvsw", bridge: "nvsw\(worker)", subnet: "10.210.\(worker).0/24", gateway: "10.210.\(worker).1", dns: false)
        world.addNamespace("s0")
        let setup = network.call("setup", id: "sweep", container: "s0"), teardown = network.call("teardown", id: "sweep", container: "s0")
        // The bridge is made once, before the snapshot: both operations start with it there.
        _ = world.mustSucceed(setup, plugin: plugin, "setup making the bridge")
        _ = world.mustSucceed(teardown, plugin: plugin, "teardown after making the bridge")
        world.removeNewFiles()
        world.snapshotBase()
        return [(setup, "netavark setup"), (teardown, "netavark teardown")].map { call, label in
            let removes = call.verb == "teardown"
            return Sweep.Subject(
                label: label, removes: removes, makesBridge: false,
                prepare: { if removes { _ = world.mustSucceed(setup, plugin: plugin, "setup before the teardown") } },
                invocation: { call.invocation(plugin: plugin) }, judge: { NetavarkCall.judge($0, verb: call.verb) },
                undo: { world.mustSucceed(teardown, plugin: plugin, "teardown afterwards") }, collect: nil,
                // Its bridge is in the snapshot: any new one is a leftover.
                findings: { _ in world.findings(allowed: network.allowed, newBridges: false, containers: ["s0": ["lo"]]) },
                cleanUp: { sweep.cleanUp(undo: teardown, keeping: network.bridge) })
        }
    }

    // MARK: aardvark-dns

    func helperLeftovers(_ world: PrivateWorld) -> [String] { world.aardvarkLeftovers() }
    func killHelpers(_ world: PrivateWorld) { world.killAardvark() }
}

extension NetavarkFuzzInput: FuzzedInput {}

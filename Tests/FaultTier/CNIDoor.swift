import Foundation

/// The CNI door as the fault tier drives it: `CNI_*` environment and a config on stdin, answers
/// judged by `CNICall.judge`; DEL undoes ADD, GC collects what a killed operation left.
struct CNIDoor: Door {
    let name = "CNI", partPrefix = "", tag = ""
    let add = "ADD", remove = "DEL", subject = "id"

    // MARK: fuzz

    let fuzzContainers = ["c0", "c1"]
    let fixedSeed: UInt64 = 0x5EED_0000_CAFE
    func fuzzInputs(of total: Int) -> Int { total }

    func fuzzGenerator(_ part: Part, seed: UInt64, containers: [String]) -> ((Int) -> FuzzInput)? {
        FuzzGenerator(worker: part.worker, seed: seed, containers: containers).make
    }

    func countName(ofError answer: Answer) -> String { "answered error \(answer.code!)" }

    /// The runtime's DEL after a successful ADD: same environment, the ADD's Result as prevResult when the config is an object.
    func undo(_ input: FuzzInput, result: [UInt8]) -> CNICall {
        var call = input.call.with(verb: "DEL")
        if case .object(var members)? = input.tree,
           let previous = try? JSONSerialization.jsonObject(with: Data(result)), JSONSerialization.isValidJSONObject(previous),
           let bytes = try? JSONSerialization.data(withJSONObject: previous) {
            members.removeAll { $0.0 == "prevResult" }
            members.append(("prevResult", .raw(Array(bytes))))
            call.stdin = JSON.object(members).bytes
        }
        return call
    }

    let undoNotAnswering = "did not", cleanUndoCount = "ADD then clean DEL"
    func checksContainers(after verb: String?) -> Bool { verb == "ADD" || verb == "DEL" || verb == "CHECK" }
    func keptBridges(worker: Int) -> Set<[UInt8]> { [Array("fzbr\(worker)".utf8)] }
    func recovery(_ input: FuzzInput) -> CNICall? { nil }

    // MARK: kill -9

    let killTrials = 400
    func killHeader(trials: Int, seed: String) -> String {
        "\(trials) trials (even: ADD killed, odd: DEL killed), seed \(seed); each followed by DEL, GC (1.1.0, cni.dev/valid-attachments), a leftover check, a fresh ADD and DEL"
    }
    let killContainers: [String: Set<String>] = ["k0": ["lo"], "keep": ["lo", "eth0"]]
    let afterKillUndo = "after DEL and GC"

    /// One network, and beside the trials an attachment GC must keep untouched.
    func killTargets(_ part: Part) -> [KillTarget<CNICall>]? {
        let network = TestNetwork(name: "kl\(part.worker)", bridge: "klbr\(part.worker)", subnets: ["10.\(150 + part.worker).0.0/16"], plugin: part.plugin)
        part.world.addNamespace("k0")
        part.world.addNamespace("keep")
        if let problem = part.world.mustSucceed(network.call("ADD", id: "keep", container: "keep"), plugin: part.plugin, "ADD of the kept attachment") {
            part.report.fail("kill setup: \(problem)")
            return nil
        }
        return [KillTarget(attach: { network.call("ADD", id: $0, container: "k0") }, detach: { network.call("DEL", id: $0, container: "k0") },
                           collect: network.garbageCollect(keeping: [("keep", "eth0")]), allowed: network.allowed)]
    }

    // MARK: syscall sweep

    let sweepTitle = "syscall fault sweep", sweepScope = "ADD (without and with the bridge) and DEL"

    enum Operation: String, CaseIterable { case addNewBridge = "ADD (bridge not there yet)", addExisting = "ADD (bridge exists)", del = "DEL" }

    func sweepSubjects(_ sweep: Sweep) -> [Sweep.Subject] {
        let world = sweep.world, plugin = sweep.plugin, worker = sweep.part.worker
        let network = TestNetwork(name: "sw\(worker)", bridge: "swbr\(worker)", subnets: ["10.\(200 + worker).0.0/24", "fd00:\(200 + worker)::/64"], plugin: plugin)
        world.addNamespace("s0")
        world.snapshotBase()
        let bridge = Array(network.bridge.utf8)
        let removeBridge = { if world.hostLinks().contains(bridge) { world.deleteLink(bridge) } }
        let ensureBridge = {
            if world.hostLinks().contains(bridge) { return }
            _ = world.mustSucceed(network.call("ADD", id: "bridge", container: "s0"), plugin: plugin, "ADD making the bridge")
            _ = world.mustSucceed(network.call("DEL", id: "bridge", container: "s0"), plugin: plugin, "DEL after making the bridge")
            world.removeNewFiles()
        }
        let del = network.call("DEL", id: "sweep", container: "s0")
        return Operation.allCases.map { operation in
            let call = network.call(operation == .del ? "DEL" : "ADD", id: "sweep", container: "s0")
            return Sweep.Subject(
                label: operation.rawValue, removes: operation == .del, makesBridge: operation == .addNewBridge,
                prepare: {
                    switch operation {
                    case .addNewBridge: removeBridge()
                    case .addExisting: ensureBridge()
                    case .del:
                        ensureBridge()
                        _ = world.mustSucceed(network.call("ADD", id: "sweep", container: "s0"), plugin: plugin, "ADD before the DEL")
                    }
                },
                invocation: { call.invocation(plugin: plugin) },
                judge: { CNICall.judge($0, verb: call.verb) },
                undo: { world.mustSucceed(del, plugin: plugin, "DEL afterwards") },
                collect: { world.mustSucceed(network.garbageCollect(keeping: []), plugin: plugin, "GC afterwards") },
                findings: { world.findings(allowed: network.allowed, newBridges: $0, containers: ["s0": ["lo"]]) },
                cleanUp: { sweep.cleanUp(undo: del, keeping: network.bridge) },
                finish: { if operation == .addExisting { removeBridge() } })
        }
    }

    // MARK: helpers the plugin starts: none

    func helperLeftovers(_ world: PrivateWorld) -> [String] { [] }
    func killHelpers(_ world: PrivateWorld) {}
}

extension FuzzInput: FuzzedInput {
    var origin: String? { nil }
}

import Foundation
import Netavark
import Testing
@testable import PontoonCtl

/// Pod rules that need no namespace: what a member may ask for, whose name the plugin is given,
/// and what `pod rm` and `rm` refuse. The pod and its containers are records written by hand.
@Suite("pods: members, names, removal rules")
struct PodRuleTests {
    typealias Scratch = LifecycleStateTests.Scratch

    /// A pod `shop` whose infra runs (a record only) and one member `m1`.
    func pod(_ scratch: Scratch) throws -> PodRecord {
        let store = scratch.operations.store
        let pod = PodRecord(id: String(repeating: "f", count: 64), name: "shop", infra: "shop-infra")
        try store.savePod(pod)
        var infra = ContainerRecord(id: String(repeating: "a", count: 32), name: "shop-infra", netns: "")
        infra.pod = "shop"
        try store.save(infra)
        var member = ContainerRecord(id: String(repeating: "b", count: 32), name: "m1", netns: "", networkMode: .container("shop-infra"))
        member.pod = "shop"
        try store.save(member)
        return pod
    }

    @Test("a member joins the infra's namespace as container: does; networks, ports and a missing pod are refused")
    func joining() throws {
        let scratch = try Scratch()
        _ = try pod(scratch)
        var request = ContainerOperations.CreateRequest(name: "m2")
        request.pod = "shop"
        #expect(try scratch.operations.joiningPod(request).mode == .container("shop-infra"))
        var withNetwork = request
        withNetwork.networks = [AttachRequest(network: "front")]
        #expect(throws: CtlError.self) { _ = try scratch.operations.joiningPod(withNetwork) }
        var withPort = request
        withPort.ports = [PortMapping(containerPort: 80, hostPort: 8080, protocol: "tcp")]
        #expect(throws: CtlError.self) { _ = try scratch.operations.joiningPod(withPort) }
        var missing = request
        missing.pod = "nopod"
        let error = #expect(throws: CtlError.self) { _ = try scratch.operations.joiningPod(missing) }
        #expect(error?.kind == .notFound)
        // create records the member as container: of the infra, with the infra's ID for inspect
        // (libpod's NetNsCtr); nothing runs until start.
        let created = try scratch.operations.create(request)
        #expect(created.state == .created && created.netns.isEmpty && created.pod == "shop")
        #expect(created.networkMode == .container("shop-infra") && created.podmanNetworkMode == "container:" + String(repeating: "a", count: 32))
        #expect(try scratch.operations.store.container("m2") == created)
    }

    @Test("the plugin is given the pod's name (getCNIPodName); outside a pod, the container's")
    func cniPodName() throws {
        var record = ContainerRecord(id: "x", name: "shop-infra", netns: "")
        #expect(record.cniPodName == "shop-infra")
        record.pod = "shop"
        #expect(record.cniPodName == "shop")
    }

    @Test("pod rm is refused while members exist (nothing removed); rm of the infra is refused; --force takes all")
    func removal() throws {
        let scratch = try Scratch()
        let store = scratch.operations.store
        let made = try pod(scratch)
        #expect(try scratch.operations.members(of: made).map(\.name) == ["m1"])
        let refused = #expect(throws: CtlError.self) { _ = try scratch.operations.removePod("shop", force: false) }
        #expect(refused?.kind == .conflict && refused?.description.contains("m1") == true)
        let infra = #expect(throws: CtlError.self) { _ = try scratch.operations.remove("shop-infra", force: true) }
        #expect(infra?.description.contains("pod rm") == true)
        let podsLeft = try store.pods().map(\.name)
        #expect(store.containerNames() == ["m1", "shop-infra"] && podsLeft == ["shop"])
        #expect(try scratch.operations.removePod("shop", force: true).isEmpty)
        let podsAfter = try store.pods()
        #expect(store.containerNames().isEmpty && podsAfter.isEmpty)
    }
}

import Testing
@testable import PontoonCtl

/// podman's container-wide network flags mapped onto the per-network options, and `--network a,b`.
@Suite("--ip, --ip6, --mac-address, --network-alias and --network lists, as podman takes them")
struct ContainerNetworkFlagsTests {
    typealias Scratch = LifecycleStateTests.Scratch

    @Test("one network: --ip, --ip6 and --mac-address become its ip= and mac=; aliases go to every network")
    func oneNetwork() throws {
        let flags = ContainerNetworkFlags(ip: "10.89.0.9", ip6: "fd00::9", mac: "92:d0:c6:0a:29:33", aliases: ["www", "web"])
        let applied = try flags.apply(to: [AttachRequest(network: "front", aliases: ["own"])], mode: nil, defaultNetwork: "podman")
        #expect(applied == [AttachRequest(network: "front", ips: ["10.89.0.9", "fd00::9"], mac: "92:d0:c6:0a:29:33", aliases: ["own", "www", "web"])])
        let two = try ContainerNetworkFlags(aliases: ["www"]).apply(to: [AttachRequest(network: "a"), AttachRequest(network: "b")],
                                                                   mode: nil, defaultNetwork: "podman")
        #expect(two.map(\.aliases) == [["www"], ["www"]])
        #expect(try ContainerNetworkFlags().apply(to: [], mode: .host, defaultNetwork: nil) == [])
    }

    @Test("no --network: the default network gets them (root); a rootless container has none to give them to")
    func defaultNetwork() throws {
        let applied = try ContainerNetworkFlags(ip: "10.88.0.7").apply(to: [], mode: nil, defaultNetwork: "podman")
        #expect(applied == [AttachRequest(network: "podman", ips: ["10.88.0.7"])])
        let rootless = #expect(throws: CtlError.self) { _ = try ContainerNetworkFlags(ip: "10.88.0.7").apply(to: [], mode: nil, defaultNetwork: nil) }
        #expect(rootless?.description.contains("--ip needs a network") == true)
    }

    @Test("refused as podman refuses them: several networks, a mode other than bridge, the wrong family, two MACs")
    func refusals() throws {
        let networks = [AttachRequest(network: "a"), AttachRequest(network: "b")]
        let several = #expect(throws: CtlError.self) { _ = try ContainerNetworkFlags(ip: "10.89.0.9").apply(to: networks, mode: nil, defaultNetwork: "podman") }
        #expect(several?.description.hasPrefix("--ip can only be set for a single network (given: a, b)") == true)
        let mac = #expect(throws: CtlError.self) { _ = try ContainerNetworkFlags(mac: "92:d0:c6:0a:29:33").apply(to: networks, mode: nil, defaultNetwork: nil) }
        #expect(mac?.description.hasPrefix("--mac-address can only be set for a single network") == true)
        for mode: NetworkMode in [.noNetwork, .host, .container("x"), .path("/run/netns/x")] {
            let error = #expect(throws: CtlError.self) { _ = try ContainerNetworkFlags(aliases: ["www"]).apply(to: [], mode: mode, defaultNetwork: "podman") }
            #expect(error?.description == "--network-alias can only be set when the network mode is bridge, not \(mode)")
            #expect(error?.exitStatus == 125)
        }
        let family = #expect(throws: CtlError.self) { _ = try ContainerNetworkFlags(ip: "fd00::1").apply(to: [], mode: nil, defaultNetwork: "podman") }
        #expect(family?.description == "--ip \"fd00::1\" is not an IPv4 address (use --ip6)")
        #expect(throws: CtlError.self) { _ = try ContainerNetworkFlags(ip6: "10.0.0.1").apply(to: [], mode: nil, defaultNetwork: "podman") }
        #expect(throws: CtlError.self) { _ = try ContainerNetworkFlags(ip: "10.0.0.300").apply(to: [], mode: nil, defaultNetwork: "podman") }
        let macs = #expect(throws: CtlError.self) {
            _ = try ContainerNetworkFlags(mac: "92:d0:c6:0a:29:33").apply(to: [AttachRequest(network: "a", mac: "92:d0:c6:0a:29:34")], mode: nil, defaultNetwork: nil)
        }
        #expect(macs?.description.contains("two MACs") == true)
    }

    @Test("--network a,b names two networks; a mode or an empty name in a list is refused; a:ip=… keeps its commas")
    func lists() throws {
        var request = ContainerOperations.CreateRequest(name: "c")
        try request.addNetwork("front,back")
        #expect(request.networks.map(\.network) == ["front", "back"])
        try request.addNetwork("side:ip=10.89.2.2,alias=x")
        #expect(request.networks.last == AttachRequest(network: "side", ips: ["10.89.2.2"], aliases: ["x"]))
        var listed = ContainerOperations.CreateRequest(name: "c")
        try listed.addNetwork("private,front")
        #expect(listed.networks.map(\.network) == ["podman", "front"])
        for bad in ["front,none", "front,", "host,front"] {
            var refused = ContainerOperations.CreateRequest(name: "c")
            let error = #expect(throws: CtlError.self) { try refused.addNetwork(bad) }
            #expect(error?.kind == .usage, "\(bad)")
        }
    }

    @Test("create folds the flags into the record: the default network's entry has the asked IP, MAC and alias")
    func recorded() throws {
        let scratch = try Scratch()
        var request = ContainerOperations.CreateRequest(name: "c")
        request.networkFlags = ContainerNetworkFlags(ip: "10.88.0.7", mac: "92:d0:c6:0a:29:33", aliases: ["www"])
        let record = try scratch.operations.create(request)
        let entry = try #require(record.networks.first)
        #expect(record.networks.count == 1 && entry.network == "podman")
        #expect(entry.staticIPs == ["10.88.0.7"] && entry.staticMAC == "92:d0:c6:0a:29:33" && entry.aliases.first == "www")
        var hosted = ContainerOperations.CreateRequest(name: "h")
        try hosted.addNetwork("host")
        hosted.networkFlags = ContainerNetworkFlags(ip: "10.88.0.8")
        let refused = #expect(throws: CtlError.self) { _ = try scratch.operations.create(hosted) }
        #expect(refused?.description == "--ip can only be set when the network mode is bridge, not host")
        #expect(try scratch.operations.store.containers().map(\.name) == ["c"])
    }
}

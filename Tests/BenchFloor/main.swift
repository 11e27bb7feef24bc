// pontoon-bench-floor: the in-process floor of one attachment. The kernel work of an ADD (veth
// pair with its peer born in the container's namespace, enslaved to the bridge, address and up in
// the container, the container's default route, one nftables batch adding the container's port
// map elements) and of a DEL (one nftables batch removing them, deleting the veth), repeated in one
// process over one pair of netlink sockets: no exec, no decoding, no files. What pontoon spends
// above this is its own cost. Run inside a private host namespace made by scripts/bench:
//   pontoon-bench-floor <container-netns-path> <iterations> [<ports> <ports-netns-prefix>]
// With <ports>, the bridge first gets that many other ports (veth pairs, port p's peer up in the
// namespace <ports-netns-prefix><p>, one each as containers have), so each call's growth with the
// bridge's size shows (README, Benchmark).
// Prints one JSON object: add and del durations in milliseconds, one per iteration, and each
// call's own duration under "steps_ms".
import Glibc
import NetAddress
import Netlink

func milliseconds(since start: timespec) -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec - start.tv_sec) * 1000 + Double(now.tv_nsec - start.tv_nsec) / 1_000_000
}

func now() -> timespec {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return t
}

let arguments = CommandLine.arguments
guard arguments.count == 3 || arguments.count == 5, let iterations = Int(arguments[2]), iterations > 0,
      arguments.count == 3 || Int(arguments[3]) != nil else {
    print("usage: pontoon-bench-floor <container-netns-path> <iterations> [<ports> <ports-netns-prefix>]")
    exit(2)
}
do {
    let namespace = try NetworkNamespace(path: arguments[1])
    let host = try RouteSocket()
    let container = try RouteSocket.inside(namespace)
    // The bridge exists before the loop, as it does for every ADD but a network's first.
    let bridge = try host.link(named: "floor0") ?? host.createBridge(name: "floor0", mtu: nil, vlanFiltering: false)
    try host.setLink(index: bridge.index, up: true)
    try host.addAddress(IPNetwork("10.77.0.1/16")!, index: bridge.index, noDAD: true)
    // The firewall's standing part (made once per network, as pontoon does): a table with a map
    // of (protocol . port) -> address. Each ADD adds its 2 elements in one batch, each DEL removes them.
    let netfilter = try NetfilterSocket()
    let table = NftTable(family: .inet, name: "pontoon-floor")
    let portMap = NftSet("ports", keyType: NftSet.DataType.concatenation(NftSet.DataType.inetProtocol, NftSet.DataType.inetService),
                         keyLength: 8, dataType: NftSet.DataType.ipv4Address, dataLength: 4)
    var standing = NftTransaction()
    standing.add(.addTable(table))
    standing.add(.addSet(table, portMap))
    try netfilter.apply(standing)
    func elements(_ i: Int) -> [NftElement] {
        let port = 20000 + 2 * i
        let ip: [UInt8] = [10, 77, UInt8(1 + i / 250), UInt8(1 + i % 250)]
        // Concatenation fields are padded to 4 bytes: protocol (1 byte), then port (2 bytes, big endian).
        return [(6, port), (17, port + 1)].map { proto, port in
            NftElement(key: [UInt8(proto), 0, 0, 0, UInt8(port >> 8), UInt8(port & 0xff), 0, 0], value: .data(ip))
        }
    }
    // The other ports: made once, never timed, removed with the bridge at the end.
    var others: [Int32] = []
    if arguments.count == 5, let count = Int(arguments[3]), count > 0 {
        for p in 0..<count {
            let portNamespace = try NetworkNamespace(path: arguments[4] + String(p))
            let inPort = try RouteSocket.inside(portNamespace)
            let port = try host.createVethPair(name: "floorp\(p)", peerName: "eth0", peerNamespace: portNamespace,
                                               mtu: nil, mac: nil, peerMAC: nil)
            try inPort.setLink(index: port.peerIndex!, up: true)
            try host.setLink(index: port.index, up: true, master: bridge.index)
            others.append(port.index)
        }
    }
    let lo = try container.link(named: "lo")!
    try container.setLink(index: lo.index, up: true)
    var adds: [Double] = [], dels: [Double] = []
    let stepNames = ["veth", "address", "up", "route", "enslave", "nft_add", "nft_del", "veth_del"]
    var steps = [String: [Double]]()
    var mark = now()
    func step(_ name: String) {
        steps[name, default: []].append(milliseconds(since: mark))
        mark = now()
    }
    for i in 0..<iterations {
        let address = IPNetwork("10.77.\(1 + i / 250).\(1 + i % 250)/16")!
        let start = now()
        mark = start
        let veth = try host.createVethPair(name: "floorh\(i % 1000)", peerName: "eth0", peerNamespace: namespace,
                                           mtu: nil, mac: nil, peerMAC: nil)
        step("veth")
        let peer = veth.peerIndex!
        try container.addAddress(address, index: peer, noDAD: true)
        step("address")
        try container.setLink(index: peer, up: true)
        step("up")
        try container.addRoute(RouteSpec(destination: IPNetwork("0.0.0.0/0")!, gateway: IPAddress("10.77.0.1")!, outputIndex: peer))
        step("route")
        try host.setLink(index: veth.index, up: true, master: bridge.index)
        step("enslave")
        var join = NftTransaction()
        join.add(.addElements(table, set: "ports", elements(i), exclusive: true, what: "port mappings"))
        try netfilter.apply(join)
        step("nft_add")
        adds.append(milliseconds(since: start))
        let deleteStart = now()
        var leave = NftTransaction()
        leave.add(.deleteElements(table, set: "ports", elements(i), what: "port mappings"))
        try netfilter.apply(leave)
        step("nft_del")
        try host.deleteLink(index: veth.index)
        step("veth_del")
        dels.append(milliseconds(since: deleteStart))
    }
    for index in others { try host.deleteLink(index: index) }
    try host.deleteLink(index: bridge.index)
    func list(_ values: [Double]) -> String { "[" + values.map { String($0) }.joined(separator: ",") + "]" }
    let stepLists = stepNames.map { "\"\($0)\":\(list(steps[$0] ?? []))" }.joined(separator: ",")
    print("{\"add_ms\":\(list(adds)),\"del_ms\":\(list(dels)),\"steps_ms\":{\(stepLists)}}")
} catch {
    print("{\"error\":\"\(error)\"}")
    exit(1)
}

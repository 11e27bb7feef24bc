import Glibc
import NetAddress
import Netlink

/// The container's end of the veth pair, configured through a socket opened inside its namespace.
struct ContainerInterface {
    let socket: RouteSocket
    let namespace: NetworkNamespace
    let network: BridgeNetwork
    let name: String

    func configure(index: Int32, addresses: [AssignedAddress], routes: [Route]) throws -> Link {
        // lo is the first device of every network namespace: always index 1, no lookup needed.
        try socket.setLink(index: 1, up: true)
        try namespace.run {
            // IPv6 duplicate address detection costs seconds before an address is usable.
            if !network.enableDAD, Sysctl.exists("net/ipv6/conf/\(name)/accept_dad") {
                try Sysctl.tune("net/ipv6/conf/\(name)/accept_dad", "0")
            }
            // Announce the (possibly reused) address to neighbours as soon as the link comes up.
            try Sysctl.tune("net/ipv4/conf/\(name)/arp_notify", "1")
            // Born inside the container, the interface inherits the namespace's IPv6 default, which
            // may be "disabled": then adding an IPv6 address fails (EACCES). Asked for IPv6, enable it
            // on the interface we made (nothing else in the container changes).
            if addresses.contains(where: { $0.address.family == .v6 }), Sysctl.exists("net/ipv6/conf/\(name)/disable_ipv6") {
                try Sysctl.set("net/ipv6/conf/\(name)/disable_ipv6", "0")
            }
            // A macvlan or ipvlan link is on the parent's LAN (see LinkedNetwork.ipv6Autoconf).
            if network.linked?.ipv6Autoconf == false, Sysctl.exists("net/ipv6/conf/\(name)/autoconf") {
                try Sysctl.set("net/ipv6/conf/\(name)/autoconf", "0")
            }
            // IPv6's arp_notify: an unsolicited neighbour advertisement when `announce` runs.
            if Sysctl.exists("net/ipv6/conf/\(name)/ndisc_notify") {
                try Sysctl.tune("net/ipv6/conf/\(name)/ndisc_notify", "1")
            }
        }
        for assigned in addresses {
            try socket.addAddress(assigned.address, index: index, noDAD: !network.enableDAD)
        }
        if !network.disableContainerInterface {
            try socket.setLink(index: index, up: true)
        }
        for route in routes {
            let gateway = route.gateway ?? addresses.first { $0.gateway?.family == route.family }?.gateway
            try socket.addRoute(RouteSpec(destination: route.destination.masked, gateway: gateway, outputIndex: index,
                                          priority: route.priority, table: route.table, scope: route.scope.map(UInt8.init),
                                          mtu: route.mtu, advmss: route.advmss))
        }
        guard let link = try socket.link(index: index) else {
            throw PontoonError(.system, "interface \(name) disappeared during setup")
        }
        return link
    }

    /// Tells the neighbours which MAC has the container's addresses now, once the path to them is
    /// up. A reused address (disconnect then connect, or a restarted container) gets a new MAC,
    /// and a neighbour that still holds the old one in a REACHABLE entry keeps sending there for
    /// up to ~30 s. The kernel announces (arp_notify, ndisc_notify) when the interface comes up,
    /// but then its peer on the bridge is still down and the announcement is lost. Setting the
    /// interface's own MAC again makes the kernel announce again (NETDEV_CHANGEADDR), through a
    /// working path: after the bridge port is up, and after the kernel's link watcher has seen the
    /// carrier and activated the interface's queue (it sets the "up" state we wait for in the same
    /// locked step, and our change waits for that lock). Bounded: at worst the announcement is lost.
    func announce(_ link: Link) throws {
        guard !network.disableContainerInterface, let mac = link.mac else { return }
        for _ in 0..<200 {   // ~1 ms each; normally the first or second look sees it up
            if try socket.link(index: link.index)?.operState == .up { break }
            usleep(1_000)
        }
        try socket.setLink(index: link.index, mac: mac)
    }
}

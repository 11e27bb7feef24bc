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
        // Read while still down. Reading a link makes the kernel first handle its pending carrier
        // change (`linkwatch_sync_dev`): a new veth end has "carrier off" pending, which costs
        // nothing on a down link, but on a link that is up (read after `up` below) it deactivates
        // the queue and waits out an expedited RCU grace period, every CPU interrupted. Name, MAC
        // and MTU do not change on the way up.
        guard let link = try socket.link(index: index) else {
            throw PontoonError(.system, "interface \(name) disappeared during setup")
        }
        // lo is the first device of every network namespace: always index 1, no lookup needed.
        try socket.setLink(index: 1, up: true)
        try namespace.run {
            // IPv6 duplicate address detection costs seconds before an address is usable.
            if !network.enableDAD {
                try Sysctl.tune("net/ipv6/conf/\(name)/accept_dad", "0", ifPresent: true)
            }
            // Born inside the container, the interface inherits the namespace's IPv6 default, which
            // may be "disabled": then adding an IPv6 address fails (EACCES). Asked for IPv6, enable it
            // on the interface we made (nothing else in the container changes).
            if addresses.contains(where: { $0.address.family == .v6 }) {
                try Sysctl.set("net/ipv6/conf/\(name)/disable_ipv6", "0", ifPresent: true)
            }
            // A macvlan or ipvlan link is on the parent's LAN (see LinkedNetwork.ipv6Autoconf).
            if network.linked?.ipv6Autoconf == false {
                try Sysctl.set("net/ipv6/conf/\(name)/autoconf", "0", ifPresent: true)
            }
        }
        for assigned in addresses {
            try socket.addAddress(assigned.address, index: index, noDAD: !network.enableDAD)
        }
        // arp_notify: a gratuitous ARP when the link comes up or its MAC changes (`announce`). Set
        // through netlink with the link's "up", not its sysctl: once a thousand namespaces exist, a
        // first lookup under /proc/sys/net in a new one costs milliseconds.
        try socket.setLink(index: index, up: network.disableContainerInterface ? nil : true, arpNotify: true)
        for route in routes {
            let gateway = route.gateway ?? addresses.first { $0.gateway?.family == route.family }?.gateway
            try socket.addRoute(RouteSpec(destination: route.destination.masked, gateway: gateway, outputIndex: index,
                                          priority: route.priority, table: route.table, scope: route.scope.map(UInt8.init),
                                          mtu: route.mtu, advmss: route.advmss))
        }
        return link
    }

    /// Tells the neighbours which MAC has the container's addresses now, once the path to them is
    /// up. A reused address (disconnect then connect, or a restarted container) gets a new MAC,
    /// and a neighbour that still holds the old one in a REACHABLE entry keeps sending there for
    /// up to ~30 s. The kernel announces (arp_notify) when the interface comes up, but then its
    /// peer on the bridge is still down and the announcement is lost. Setting the interface's own
    /// MAC again makes the kernel announce again (NETDEV_CHANGEADDR), through a working path. The
    /// path works once the kernel's link watcher has handled the carrier on both ends: on the
    /// container's end it activates the queue, on the host's end the bridge makes the port
    /// forward. Reading a link makes the kernel handle its pending carrier change at once
    /// (`linkwatch_sync_dev`), so both ends are read, and looked at again until both report "up"
    /// (bounded: at worst the announcement is lost). Reading only the container's end left the
    /// port still disabled in 1 of 9 ADDs here, and the announcement was dropped by the bridge.
    ///
    /// Once per family the container has an address of, nothing for one it has not: each
    /// announcement is a broadcast (IPv6: to all nodes) that the bridge floods to every port, so
    /// on a bridge of 1,000 ports each costs the kernel 1,000 deliveries in this process's
    /// context. IPv4's gratuitous ARP comes from arp_notify (set in `configure`). IPv6's
    /// unsolicited NA comes from ndisc_notify, set only here and only when the container has an
    /// IPv6 address: set before the link came up, the kernel also sends one for each address
    /// whose duplicate detection completes when the carrier comes up (the link-local one too), a
    /// second flood for the same news; on an IPv4-only network the container's link-local address
    /// is new with its MAC, and nothing needs announcing.
    func announce(_ link: Link, addresses: [AssignedAddress], port: Int32, host: RouteSocket) throws {
        let families = Set(addresses.map(\.address.family))
        guard !network.disableContainerInterface, !families.isEmpty, let mac = link.mac else { return }
        if families.contains(.v6) {
            _ = try namespace.run {
                try Sysctl.tune("net/ipv6/conf/\(name)/ndisc_notify", "1", ifPresent: true)
            }
        }
        for look in 0..<200 {   // ~1 ms each; normally the first look sees both up
            let sent = NetlinkSocket.messagesSent
            defer { if look > 0 { Self.carrierWaitMessages += NetlinkSocket.messagesSent - sent } }
            // Both read on every look: each read hands the kernel's pending carrier change of that
            // link over (see above), and a look is always the same two messages.
            let portUp = try host.link(index: port)?.operState == .up
            let containerUp = try socket.link(index: link.index)?.operState == .up
            if portUp && containerUp { break }
            usleep(1_000)
        }
        try socket.setLink(index: link.index, mac: mac)
    }

    /// Messages of `announce`'s second and later looks: how many depends on how soon the kernel
    /// brings the carrier up, not on the work asked (the debug log counts them apart).
    nonisolated(unsafe) static var carrierWaitMessages = 0
}

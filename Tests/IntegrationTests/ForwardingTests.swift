import Foundation
import Testing
import TestSupport

/// Host IP forwarding, which a gateway bridge needs: asked over netlink (RTM_GETNETCONF) and
/// written through /proc/sys only when off (issue 18: with 1,000 namespaces the first /proc/sys/net
/// lookup of a process costs milliseconds).
@Suite("Host IP forwarding", needsRoot)
struct ForwardingTests {
    @Test("forwarding off in the host: ADD turns it on for both families and the container reaches a network routed through the host",
          .privateHost("fwdoff"))
    func turnedOn() throws {
        let (host, container) = try PrivateHost.scopedWithContainer()
        let outside = try host.container("outside")
        try host.exec(host.name, """
            ip link add up0 type veth peer name eth0 netns \(outside) && ip link set up0 up \
            && ip addr add 192.0.2.1/24 dev up0 && ip addr add 2001:db8::1/64 dev up0 nodad
            """)
        try host.exec(outside, """
            ip link set eth0 up && ip link set lo up && ip addr add 192.0.2.2/24 dev eth0 \
            && ip addr add 2001:db8::2/64 dev eth0 nodad \
            && ip route add 10.99.0.0/24 via 192.0.2.1 && ip -6 route add fd99::/64 via 2001:db8::1
            """)
        try host.exec(host.name, "sysctl -qw net.ipv4.ip_forward=0 net.ipv6.conf.all.forwarding=0")
        let blocked = try host.exec(host.name, "cat /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv6/conf/all/forwarding").stdoutText
        #expect(blocked == "0\n0\n", "forwarding is off before the ADD")

        let config = networkConfig(host, subnets: ["10.99.0.0/24", "fd99::/64"], routes: ["0.0.0.0/0", "::/0"], ["ipMasq": false])
        let add = try host.attach(container, config: config)
        let after = try host.exec(host.name, "cat /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv6/conf/all/forwarding").stdoutText
        #expect(after == "1\n1\n", "forwarding on for both families after the ADD")
        #expect(try host.pings(from: container, "192.0.2.2"))
        // IPv6 neighbour discovery across the host can take a second or two: one echo, a deadline of 6 s.
        #expect(try host.exec(container, "ping -c 1 -w 6 2001:db8::2 >/dev/null 2>&1").status == 0)
        #expect(try host.pings(from: outside, bare(add.addresses[0])), "routed, not masqueraded")
        #expect(try host.cni("DEL", container: container, config: config).status == 0)
    }

    @Test("forwarding on: the ADD never reads /proc/sys for it (a read-only file saying 0 over ip_forward goes unseen)",
          .privateHost("fwdon"))
    func readOverNetlink() throws {
        let (host, container) = try PrivateHost.scopedWithContainer()
        try host.exec(host.name, "sysctl -qw net.ipv4.ip_forward=1")
        let config = networkConfig(host)
        // In a private mount namespace inside the private host, ip_forward is masked by a read-only
        // file that says 0: an ADD asking /proc/sys would see forwarding off and fail writing it
        // (as pontoon did before it asked netlink); the kernel's answer over netlink is still on.
        let mask = host.scratch.file("ip_forward-off")
        try "0\n".write(toFile: mask, atomically: true, encoding: .utf8)
        let key = "/proc/sys/net/ipv4/ip_forward"
        let script = """
            mount --bind \(mask) \(key) && mount -o remount,bind,ro \(key) \
            && [ "$(cat \(key))" = 0 ] && ! sh -c 'echo 1 > \(key)' 2>/dev/null || { echo "mask not in place"; exit 9; }
            exec "$@"
            """
        let stdin = try JSONSerialization.data(withJSONObject: config, options: [.withoutEscapingSlashes])
        let environment = ["CNI_COMMAND": "ADD", "CNI_PATH": "/usr/lib/cni", "CNI_IFNAME": "eth0",
                           "CNI_CONTAINERID": "fwdon1", "CNI_NETNS": PrivateHost.path(container)]
        let add = try TestRun.run(PrivateHost.ip, ["netns", "exec", host.name, "/usr/bin/unshare", "--mount", "--propagation", "private",
                                                   "/bin/sh", "-c", script, "sh", Binaries.pontoon],
                                  environment: environment, stdin: stdin)
        #expect(add.status == 0, "\(add.stdoutText)")
        #expect(try host.pings(from: container, "10.99.0.1"))
        #expect(try host.exec(host.name, "cat \(key)").stdoutText == "1\n", "the host's own value, unmasked outside")
        #expect(try host.cni("DEL", container: container, containerID: "fwdon1", config: config).status == 0)
        #expect(try host.linkNames(container) == ["lo"])
    }
}

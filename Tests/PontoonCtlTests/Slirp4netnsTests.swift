import Foundation
import Netavark
import Testing
@testable import PontoonCtl

@Suite("pontoonctl --network slirp4netns")
struct Slirp4netnsTests {
    @Test("no options: podman's defaults (host loopback refused, IPv6 on, MTU 65520, rootlesskit's handler)")
    func defaults() throws {
        let mode = try NetworkMode.parse("slirp4netns")
        #expect(mode == .slirp4netns(Slirp4netnsOptions()))
        let options = Slirp4netnsOptions()
        #expect(!options.allowHostLoopback && options.enableIPv6 && options.mtu == 65520 && options.portHandler == .rootlesskit)
        #expect("\(try #require(mode))" == "slirp4netns")
    }

    @Test("every option podman knows, parsed")
    func options() throws {
        let mode = try NetworkMode.parse("slirp4netns:cidr=10.5.0.0/24,allow_host_loopback=true,enable_ipv6=false,"
            + "outbound_addr=192.0.2.7,outbound_addr6=2001:db8::7,mtu=1500,port_handler=slirp4netns")
        guard case .slirp4netns(let options)? = mode else { Issue.record("not slirp4netns: \(String(describing: mode))"); return }
        #expect(options.cidr == "10.5.0.0/24" && options.allowHostLoopback && !options.enableIPv6)
        #expect(options.outboundAddr == "192.0.2.7" && options.outboundAddr6 == "2001:db8::7")
        #expect(options.mtu == 1500 && options.portHandler == .slirp4netns)
    }

    @Test("an unknown option or a bad value: one line naming it, a usage error (exit 125)", arguments: [
        ("slirp4netns:bogus=1", "unknown option for slirp4netns: \"bogus=1\""),
        ("slirp4netns:mtu", "unknown option for slirp4netns: \"mtu\""),
        ("slirp4netns:", "unknown option for slirp4netns: \"\""),
        ("slirp4netns:cidr=2001:db8::/64", "invalid cidr \"2001:db8::/64\""),
        ("slirp4netns:cidr=nonsense", "invalid cidr \"nonsense\""),
        ("slirp4netns:cidr=10.0.0.0/26", "invalid cidr \"10.0.0.0/26\": slirp4netns needs a /25 or larger"),
        ("slirp4netns:port_handler=proxy", "unknown port_handler for slirp4netns: \"proxy\""),
        ("slirp4netns:allow_host_loopback=yes", "invalid value of allow_host_loopback for slirp4netns: \"yes\""),
        ("slirp4netns:enable_ipv6=1", "invalid value of enable_ipv6 for slirp4netns: \"1\""),
        ("slirp4netns:outbound_addr=2001:db8::1", "invalid outbound_addr \"2001:db8::1\""),
        ("slirp4netns:outbound_addr6=192.0.2.1", "invalid outbound_addr6 \"192.0.2.1\""),
        ("slirp4netns:mtu=67", "invalid mtu \"67\""),
        ("slirp4netns:mtu=70000", "invalid mtu \"70000\""),
    ])
    func refused(text: String, message: String) {
        #expect { try NetworkMode.parse(text) } throws: { error in
            let error = error as? CtlError
            return error?.description == message && error?.exitStatus == 125
        }
    }

    @Test("slirp4netns as a prefix of a network name is still a network name")
    func networkName() throws {
        #expect(try NetworkMode.parse("slirp4netnsnet") == nil)
    }

    @Test("the flags: probed from --help, refused when asked for and missing, hardening left out when missing")
    func arguments() throws {
        let help = "--mtu --disable-host-loopback --enable-sandbox --enable-seccomp --cidr --enable-ipv6 --outbound-addr --outbound-addr6 --api-socket"
        var options = Slirp4netnsOptions()
        #expect(try options.arguments(supported: help, apiSocket: nil, sandbox: true)
            == ["--disable-host-loopback", "--mtu=65520", "--enable-sandbox", "--enable-seccomp", "--enable-ipv6"])
        options.allowHostLoopback = true
        options.enableIPv6 = false
        options.cidr = "10.9.0.0/24"
        options.outboundAddr = "192.0.2.1"
        #expect(try options.arguments(supported: help, apiSocket: "/run/x.net", sandbox: false)
            == ["--mtu=65520", "--enable-seccomp", "--cidr=10.9.0.0/24", "--outbound-addr=192.0.2.1", "--api-socket", "/run/x.net"])
        #expect(try Slirp4netnsOptions().arguments(supported: "--disable-host-loopback --enable-ipv6", apiSocket: nil, sandbox: true)
            == ["--disable-host-loopback", "--enable-ipv6"])
        #expect { try options.arguments(supported: "--mtu", apiSocket: nil, sandbox: true) } throws: {
            ($0 as? CtlError)?.description == "the installed slirp4netns does not support --cidr, which cidr= needs"
        }
    }

    @Test("add_hostfwd: one request per host port, ranges expanded, 0.0.0.0 for no host address")
    func requestEncoding() throws {
        let forwards = try Slirp4netnsAPI.forwards([
            PortMapping(hostIP: "", containerPort: 80, hostPort: 8080, range: 2, protocol: "tcp"),
            PortMapping(hostIP: "127.0.0.1", containerPort: 53, hostPort: 5353, range: 1, protocol: "udp"),
        ])
        #expect(forwards.map { String(decoding: Slirp4netnsAPI.encode($0), as: UTF8.self) } == [
            #"{"arguments":{"guest_port":80,"host_addr":"0.0.0.0","host_port":8080,"proto":"tcp"},"execute":"add_hostfwd"}"#,
            #"{"arguments":{"guest_port":81,"host_addr":"0.0.0.0","host_port":8081,"proto":"tcp"},"execute":"add_hostfwd"}"#,
            #"{"arguments":{"guest_port":53,"host_addr":"127.0.0.1","host_port":5353,"proto":"udp"},"execute":"add_hostfwd"}"#,
        ])
        #expect { try Slirp4netnsAPI.forwards([PortMapping(containerPort: 1, hostPort: 1, protocol: "sctp")]) } throws: {
            ($0 as? CtlError)?.description.contains("only tcp and udp") == true
        }
        #expect { try Slirp4netnsAPI.forwards([PortMapping(hostIP: "::1", containerPort: 1, hostPort: 1, protocol: "tcp")]) } throws: {
            ($0 as? CtlError)?.description.contains("only IPv4 host addresses") == true
        }
    }

    @Test("replies: a return is success, an error carries its description, anything else is unreadable")
    func replies() {
        #expect(Slirp4netnsAPI.failure(Data(#"{"return": {"id": 1}}"#.utf8)) == nil)
        #expect(Slirp4netnsAPI.failure(Data(#"{"error": {"desc": "bad request: add_hostfwd: slirp_add_hostfwd failed"}}"#.utf8))
            == "bad request: add_hostfwd: slirp_add_hostfwd failed")
        #expect(Slirp4netnsAPI.failure(Data("".utf8))?.hasPrefix("unreadable reply") == true)
    }

    @Test("list_hostfwd and remove_hostfwd: the requests, and the listed entries read from the reply")
    func listAndRemove() throws {
        #expect(String(decoding: Slirp4netnsAPI.encode(Slirp4netnsAPI.Request<Slirp4netnsAPI.ForwardID>(execute: "list_hostfwd", arguments: nil)),
                       as: UTF8.self) == #"{"execute":"list_hostfwd"}"#)
        #expect(String(decoding: Slirp4netnsAPI.encode(Slirp4netnsAPI.Request(execute: "remove_hostfwd", arguments: Slirp4netnsAPI.ForwardID(id: 3))),
                       as: UTF8.self) == #"{"arguments":{"id":3},"execute":"remove_hostfwd"}"#)
        let reply = #"{"return": {"entries": [{"id": 3, "proto": "tcp", "host_addr": "0.0.0.0", "host_port": 8080, "guest_addr": "10.0.2.100", "guest_port": 8080}]}}"#
        let decoded = try JSONDecoder().decode(Slirp4netnsAPI.Reply.self, from: Data(reply.utf8))
        let entry = try #require(decoded.return?.entries?.first)
        #expect(entry.id == 3 && entry.proto == "tcp" && entry.host_addr == "0.0.0.0" && entry.host_port == 8080)
    }

    @Test("resolv.conf: slirp4netns's forwarder (network + 3) unless --dns gives servers")
    func resolvConf() {
        var options = Slirp4netnsOptions()
        var record = ContainerRecord(id: "a", name: "n", netns: "/x", networkMode: .slirp4netns(options))
        #expect(ContainerFiles.resolvConf(record, hostResolvConf: "nameserver 127.0.0.53\n") == "nameserver 10.0.2.3\n")
        options.cidr = "10.41.0.0/16"
        record.networkMode = .slirp4netns(options)
        #expect(ContainerFiles.resolvConf(record, hostResolvConf: "") == "nameserver 10.41.0.3\n")
        record.dnsServers = ["192.0.2.53"]
        #expect(ContainerFiles.resolvConf(record, hostResolvConf: "") == "nameserver 192.0.2.53\n")
    }

    @Test("a record without slirp4netns decodes as before and encodes without the key")
    func recordCompatibility() throws {
        let record = ContainerRecord(id: "a", name: "n", netns: "/x")
        let text = String(decoding: Store.encode(record), as: UTF8.self)
        #expect(!text.contains("slirp4netns"))
        #expect(try JSONDecoder().decode(ContainerRecord.self, from: Data(text.utf8)) == record)
    }
}

import Foundation
import Testing
import TestSupport

/// DEL tears down whatever it can: no setting it does not use, however malformed, stops it, in any
/// version and whatever CNI_NETNS says. Each case leases an address first (through the host-local
/// door, as ADD would) and DEL must release it, so "exit 0" alone cannot pass. No root needed:
/// without a record or a readable prevResult, DEL touches no link.
@Suite("DEL tolerates every setting it does not use")
struct DeleteToleranceTests {
    /// One bad setting: a key path in the config and its JSON value, or a CNI_ARGS string.
    struct Setting: Sendable, CustomTestStringConvertible {
        var path: [String] = []
        var value = "null"
        var cniArgs: String?
        var testDescription: String { cniArgs.map { "CNI_ARGS \($0)" } ?? "\(path.joined(separator: ".")) = \(value)" }
    }

    static func set(_ path: String, _ value: String) -> Setting { Setting(path: path.split(separator: ".").map(String.init), value: value) }

    static let settings: [Setting] = [
        // Runtime settings (capability arguments), in podman's and go-cni's spellings.
        set("runtimeConfig.portMappings", #"[{"HostPort":"8080","ContainerPort":80}]"#),
        set("runtimeConfig.portMappings", #"[{"containerPort":80}]"#),
        set("runtimeConfig.portMappings", #"[{"hostPort":-1,"containerPort":70000,"protocol":"gre","hostIP":"nope"}]"#),
        set("runtimeConfig.portMappings", #"[null, 5, "x"]"#),
        set("runtimeConfig.portMappings", #"{"hostPort":1}"#),
        set("runtimeConfig.bandwidth", #"{"IngressRate":18446744073709551615,"EgressBurst":1e30}"#),
        set("runtimeConfig.bandwidth", #"{"ingressRate":"fast"}"#),
        set("runtimeConfig.dns", #"{"Servers":"10.0.0.1","Searches":[1],"Options":{}}"#),
        set("runtimeConfig.ips", #"["10.0.0.999", 7]"#),
        set("runtimeConfig.mac", "12"),
        set("runtimeConfig.mac", #""ff:ff:ff:ff:ff:ff""#),
        set("runtimeConfig.ipRanges", #"[[{"Subnet":5}]]"#),
        set("runtimeConfig.aliases", "[1]"),
        set("runtimeConfig.somethingNew", #"{"deep":[null]}"#),
        set("runtimeConfig", #""not an object""#),
        set("args", #"{"cni":{"ips":"10.0.0.5","mac":["x"]}}"#),
        set("args", "[]"),
        set("prevResult", #""none""#),
        set("prevResult", #"{"ips":[{"address":"10.0.0.2"}],"interfaces":[{"name":"eth0","mac":"zz"}]}"#),
        set("prevResult", #"{"ips":[{"interface":3,"address":"10.0.0.2/24"}]}"#),
        // Config keys DEL does not use.
        set("mtu", #""big""#), set("mtu", "10"), set("vlan", "5000"), set("vlanTrunk", #"[{"minID":9}]"#),
        set("promiscMode", "true"), // with hairpinMode: refused on ADD
        set("bridge", #""not a name!""#), set("bridge", "5"), set("ipMasq", "true"), set("macspoofchk", "true"),
        set("dns", #"{"nameservers":["nope"]}"#), set("disableContainerInterface", "true"),
        set("capabilities", #""all""#), set("logLevel", "3"),
        set("ipam.ranges", #""none""#), set("ipam.ranges", #"[[{"subnet":"10.5.0.5/31"}],[]]"#),
        set("ipam.routes", #"[{"dst":"x"}]"#), set("ipam.subnet", #""bad""#), set("ipam.resolvConf", "5"),
        // CNI_ARGS.
        Setting(cniArgs: "IP=10.0.0.999"), Setting(cniArgs: "MAC=zz"), Setting(cniArgs: "FOO=bar"),
        Setting(cniArgs: "junk;=x"), Setting(cniArgs: "IgnoreUnknown=maybe;K8S_POD_NAME=a"),
    ]

    static let versions = ["0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"]
    /// CNI_NETNS: absent, empty (containerd once the netns is gone), a gone namespace, not a namespace.
    static let netnsVariants: [String?] = [nil, "", "/run/netns/pontoon-gone-netns", Repository.testdata + "/README.md"]

    @Test("DEL succeeds and releases the lease", arguments: settings)
    func deleteReleases(_ setting: Setting) throws {
        for (index, version) in Self.versions.enumerated() {
            let netns = Self.netnsVariants[index % Self.netnsVariants.count]
            try run(setting, version: version, netns: netns)
        }
    }

    private func run(_ setting: Setting, version: String, netns: String?) throws {
        let scratch = try TemporaryDirectory("pontoon-deltol")
        defer { scratch.remove() }
        let label = "\(setting.testDescription), \(version), CNI_NETNS \(netns.map { "\"\($0)\"" } ?? "absent")"
        var config: [String: Any] = [
            "cniVersion": version, "name": "tolnet", "type": "pontoon", "hairpinMode": true, "stateDir": scratch.file("state"),
            "ipam": ["type": "host-local", "dataDir": scratch.file("store"), "ranges": [[["subnet": "10.83.0.0/24"]]]] as [String: Any],
        ]
        var env = ["CNI_CONTAINERID": "ctr1", "CNI_IFNAME": "eth0", "CNI_PATH": "/usr/lib/cni", "CNI_NETNS": "/run/netns/unused"]

        // The lease an ADD would have made.
        env["CNI_COMMAND"] = "ADD"
        let seeded = try TestRun.run(try Binaries.hostLocalLink(in: scratch.path), environment: env, stdin: try data(config))
        try #require(seeded.status == 0, "\(label): seeding the lease: \(seeded.stdoutText)")
        let lease = scratch.file("store/tolnet/10.83.0.2")
        try #require(FileManager.default.fileExists(atPath: lease))

        if let args = setting.cniArgs { env["CNI_ARGS"] = args }
        if !setting.path.isEmpty {
            let value = try JSONSerialization.jsonObject(with: Data(setting.value.utf8), options: [.fragmentsAllowed])
            config = Self.setting(config, setting.path, value)
        }
        env["CNI_COMMAND"] = "DEL"
        env["CNI_NETNS"] = netns
        let del = try TestRun.run(Binaries.pontoon, environment: env, stdin: try data(config))
        #expect(del.status == 0 && del.stdout.isEmpty, "\(label): \(del.stdoutText)")
        #expect(del.stderr.isEmpty, "\(label): stderr \(del.stderrText)")
        #expect(!FileManager.default.fileExists(atPath: lease), "\(label): the lease survived DEL")
    }

    private func data(_ config: [String: Any]) throws -> Data {
        try JSONSerialization.data(withJSONObject: config, options: [.withoutEscapingSlashes])
    }

    private static func setting(_ object: [String: Any], _ path: [String], _ value: Any) -> [String: Any] {
        var object = object
        guard let key = path.first else { return object }
        if path.count == 1 {
            object[key] = value
        } else {
            object[key] = setting(object[key] as? [String: Any] ?? [:], Array(path.dropFirst()), value)
        }
        return object
    }
}

import Testing
@testable import CNI
import Netavark
@testable import WireCoding

/// What the plugin writes without Codable (`WireJSON.write`, each type's `wireValue`) against what
/// the Codable encoding writes (`WireJSON.encode`, itself proven equal to Foundation's by the JSON
/// differential): byte for byte, for every value of every written type that the corpus decodes
/// to, and for hand-made values with every optional present and absent and strings to escape.
@Suite("JSON writing without Codable")
struct WritingTests {
    /// One written type: decode the document as it (Codable), write the value both ways.
    struct Written: Sendable {
        let name: String
        /// nil: the document is not this type; else the two writings.
        let writings: @Sendable ([UInt8]) -> (codable: [UInt8], direct: [UInt8])?

        static func of<T: Codable & WireEncodable>(_ type: T.Type) -> Written {
            Written(name: "\(T.self)") { bytes in
                guard let value = try? WireJSON.decode(T.self, from: bytes) else { return nil }
                return (WireJSON.encode(value), WireJSON.write(value))
            }
        }
    }

    static let types: [Written] = [
        .of(WireResult.self), .of(WireResult.Interface.self), .of(WireResult.IPConfig.self), .of(WireResult.LegacyIP.self),
        .of(RouteConf.self), .of(DNSConf.self), .of(WireError.self), .of(VersionInfo.self),
        .of(StatusBlock.self), .of([String: StatusBlock].self), .of(StatusBlock.NetInterface.self), .of(StatusBlock.NetAddress.self),
        .of(ErrorDocument.self),
    ]

    /// Every disagreement, described, and how many values were written.
    static func disagreements(_ documents: [Corpus.Document]) -> (written: Int, report: [String]) {
        var written = 0
        var report: [String] = []
        for document in documents {
            for type in types {
                guard let (codable, direct) = type.writings(document.bytes) else { continue }
                written += 1
                if codable != direct {
                    report.append("\(document.label) as \(type.name):\n    Codable: \(String(decoding: codable.prefix(300), as: UTF8.self))\n    direct:  \(String(decoding: direct.prefix(300), as: UTF8.self))")
                }
            }
        }
        return (written, report)
    }

    @Test("every value the repository's documents and the corner cases decode to, each written type")
    func corpus() throws {
        let documents = try Corpus.repository() + CornerCases.documents
        let result = Self.disagreements(documents)
        print("JSON writing: \(documents.count) documents, \(result.written) values written both ways")
        #expect(result.written >= 500, "only \(result.written) values written")
        let differences = result.report.count
        #expect(differences == 0, "\(differences) written differently:\n\(result.report.prefix(10).joined(separator: "\n"))")
    }

    @Test("the fuzz's inputs", arguments: ["cni", "netavark"])
    func fuzz(door: String) throws {
        let result = Self.disagreements(try Corpus.fuzz(door: door, seed: 0x5EED_0000_57A7, count: 1_500))
        #expect(result.written >= 50, "only \(result.written) values written")
        let differences = result.report.count
        #expect(differences == 0, "\(differences) written differently:\n\(result.report.prefix(10).joined(separator: "\n"))")
    }

    /// Strings that need escaping, every optional absent and present, and empty lists.
    @Test("hand-made values: escapes, absent and present optionals, empty lists")
    func handMade() {
        let texts = ["", "plain", "quote \" backslash \\ slash /", "\u{0}\u{1}\u{8}\u{9}\u{a}\u{c}\u{d}\u{1f}\u{7f}", "é 𝄞 \u{2028}", "10.88.0.2/16"]
        var values: [(String, [UInt8], [UInt8])] = []
        func add<T: Encodable & WireEncodable>(_ value: T) { values.append(("\(value)", WireJSON.encode(value), WireJSON.write(value))) }
        for text in texts {
            add(WireResult.Interface(name: text))
            add(WireResult.Interface(name: text, mac: text, mtu: 1500, sandbox: text, socketPath: text, pciID: text))
            add(WireResult.IPConfig(address: text))
            add(WireResult.IPConfig(version: "4", interface: 2, address: text, gateway: text))
            add(RouteConf(dst: text))
            add(RouteConf(dst: text, gw: text, mtu: -1, advmss: 0, priority: Int.max, table: Int.min, scope: 253))
            add(DNSConf())
            add(DNSConf(nameservers: [text, text], domain: text, search: [], options: [text]))
            add(WireResult.LegacyIP(ip: text, gateway: text, routes: [RouteConf(dst: text)]))
            add(WireError(cniVersion: text, code: 7, msg: text, details: text))
            add(WireError(code: 999))
            add(StatusBlock())
            add(StatusBlock(dnsSearchDomains: [text], dnsServerIPs: [text],
                            interfaces: [text: .init(macAddress: text, subnets: [.init(ipnet: text, gateway: nil), .init(ipnet: text, gateway: text)])]))
            add(["eth0": StatusBlock(), text: StatusBlock(dnsSearchDomains: [text])])
            add(ErrorDocument(error: text))
        }
        var result = WireResult()
        add(result)
        result.cniVersion = "1.0.0"
        result.interfaces = [.init(name: "eth0", mac: "aa:bb:cc:dd:ee:ff", sandbox: "/run/netns/x")]
        result.ips = [.init(interface: 0, address: "10.88.0.2/16", gateway: "10.88.0.1")]
        result.routes = [RouteConf(dst: "0.0.0.0/0")]
        result.dns = DNSConf(nameservers: ["10.88.0.1"])
        add(result)
        result.ip4 = .init(ip: "10.0.0.2/24")
        result.ip6 = .init(ip: "fd00::2/64", gateway: "fd00::1")
        add(result)
        add(VersionInfo(requested: "0.4.0"))
        add(VersionInfo(requested: nil))
        add(VersionDocument(version: "1.4.0", commit: "pontoon", buildTime: "2026-12-07T00:00:00Z", target: "x86_64-unknown-linux-gnu"))
        let different = values.filter { $0.1 != $0.2 }.map { "\($0.0):\n    Codable: \(String(decoding: $0.1, as: UTF8.self))\n    direct:  \(String(decoding: $0.2, as: UTF8.self))" }
        let differences = different.count
        #expect(differences == 0, "\(differences) written differently:\n\(different.prefix(10).joined(separator: "\n"))")
    }

    /// Members are kept as a list in the order set (not hashed): written sorted, and of a key set
    /// twice only the last, wherever it was set; strings without escapes are copied whole.
    @Test("an object's members: sorted by key, a key set twice written once with its last value")
    func memberOrder() {
        struct Repeated: WireEncodable {
            var wireValue: WireValue {
                .object { object in
                    object.set("b", "first b")
                    object.set("a", 1)
                    object.set("c", "tab\there")
                    object.set("b", "second b")
                    object.set("ab", true)
                    object.set("a", 2)
                }
            }
        }
        struct Empty: WireEncodable { var wireValue: WireValue { .object { _ in } } }
        #expect(String(decoding: WireJSON.write(Repeated()), as: UTF8.self) == #"{"a":2,"ab":true,"b":"second b","c":"tab\there"}"#)
        #expect(String(decoding: WireJSON.write(Empty()), as: UTF8.self) == "{}")
    }
}

import Foundation

/// The records the engine writes and reads back (attachment records, firewall membership), and
/// every one-field change of them: each key removed, recased, set to null or to a value of each
/// other kind or an unreadable text. The runtime corpora hold no such documents.
enum EngineRecords {
    static let bases: [String] = [
        """
        {"containerID":"c1","ifName":"eth0","network":"n","netns":"/run/netns/x","bridge":"br0","hostInterface":"veth1",
         "containerMAC":"02:00:00:00:00:01","addresses":["10.88.0.2/16","fd00::2/64"],
         "portMappings":[{"hostIP":"127.0.0.1","hostPort":8080,"containerPort":80,"transport":"tcp","count":1},
                         {"hostPort":53,"containerPort":53,"transport":"udp","count":2}],
         "firewall":{"containerID":"c1","ifName":"eth0","addresses":["10.88.0.2"],"hostInterface":"veth1","mac":"02:00:00:00:00:01",
                     "hostPorts":[{"hostIP":"::1","hostPort":8080,"containerAddress":"10.88.0.2","containerPort":80,"transport":"sctp","count":3}]}}
        """,
        """
        {"network":{"name":"n","bridge":"br0","kind":"nftables","subnets":["10.88.0.0/16"],"ipMasq":true,"isolation":"strict",
                    "macSpoofCheck":true,"dnsRedirect":{"port":1053,"addresses":["10.88.0.1"]}},
         "members":["c1/eth0"],
         "states":{"c1/eth0":{"containerID":"c1","ifName":"eth0","addresses":["10.88.0.2"],"hostPorts":[]}}}
        """,
    ]

    static let documents: [Corpus.Document] = {
        var documents: [Corpus.Document] = []
        for (index, base) in bases.enumerated() {
            let value = try! JSONSerialization.jsonObject(with: Data(base.utf8))
            documents.append(document("record \(index)", value))
            for (label, variant) in variants(of: value, at: "") {
                documents.append(document("record \(index) \(label)", variant))
            }
        }
        return documents
    }()

    private static func document(_ label: String, _ value: Any) -> Corpus.Document {
        Corpus.Document(label: label, bytes: Array(try! JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes])))
    }

    private static var replacements: [(String, Any)] { [
        ("null", NSNull()), ("1", 1), ("-1", -1), ("70000", 70000), ("1.5", 1.5), ("true", true), ("text", "x"), ("empty text", ""),
        ("array", [Any]()), ("object", [String: Any]()),
    ] }

    /// Each one-field change of `value`, labelled by where it is.
    private static func variants(of value: Any, at path: String) -> [(String, Any)] {
        var variants: [(String, Any)] = []
        if let object = value as? [String: Any] {
            for (key, member) in object.sorted(by: { $0.key < $1.key }) {
                var removed = object
                removed[key] = nil
                variants.append(("\(path).\(key) removed", removed))
                var recased = removed
                recased[key.uppercased()] = member
                variants.append(("\(path).\(key) recased", recased))
                for (label, replacement) in replacements {
                    var changed = object
                    changed[key] = replacement
                    variants.append(("\(path).\(key) as \(label)", changed))
                }
                for (label, inner) in Self.variants(of: member, at: "\(path).\(key)") {
                    var changed = object
                    changed[key] = inner
                    variants.append((label, changed))
                }
            }
        } else if let array = value as? [Any] {
            for (index, element) in array.enumerated() {
                for (label, replacement) in replacements {
                    var changed = array
                    changed[index] = replacement
                    variants.append(("\(path)[\(index)] as \(label)", changed))
                }
                for (label, inner) in Self.variants(of: element, at: "\(path)[\(index)]") {
                    var changed = array
                    changed[index] = inner
                    variants.append((label, changed))
                }
            }
        }
        return variants
    }
}

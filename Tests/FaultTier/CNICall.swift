import Foundation

/// One plugin invocation: the `CNI_*` environment (raw bytes, ordered) and stdin.
struct CNICall: DoorCall {
    var environment: [(String, [UInt8])]
    var stdin: [UInt8]

    init(command: String, containerID: String, netns: String?, ifName: String = "eth0", config: [UInt8]) {
        environment = [("CNI_COMMAND", Array(command.utf8)), ("CNI_CONTAINERID", Array(containerID.utf8)),
                       ("CNI_IFNAME", Array(ifName.utf8)), ("CNI_PATH", Array("/usr/lib/cni".utf8))]
        if let netns { environment.append(("CNI_NETNS", Array(netns.utf8))) }
        stdin = config
    }

    /// CNI_COMMAND.
    var verb: String? { self["CNI_COMMAND"].map { String(decoding: $0, as: UTF8.self) } }

    var size: Int { stdin.count }

    subscript(key: String) -> [UInt8]? {
        get { environment.last { $0.0 == key }?.1 }
        set {
            environment.removeAll { $0.0 == key }
            if let newValue { environment.append((key, newValue)) }
        }
    }

    func with(verb command: String) -> CNICall {
        var copy = self
        copy["CNI_COMMAND"] = Array(command.utf8)
        return copy
    }

    func invocation(plugin: String) -> Invocation {
        var invocation = Invocation([plugin], stdin: stdin)
        invocation.environment = environment.map { Array($0.0.utf8) + [0x3d] + $0.1 }
        return invocation
    }

    /// The environment and stdin, printable, for a failure report.
    var description: String {
        let env = environment.map { "\($0.0)=\(clip(String(decoding: $0.1, as: UTF8.self), 120))" }.joined(separator: " ")
        return "env [\(env)] stdin \(clip(String(decoding: stdin, as: UTF8.self), 300))"
    }
}

/// What a runtime may rely on in any answer: never a signal, never stderr, exactly one JSON
/// document; on failure exit 1 with an integer `code` and a `msg`; on success the command's output.
extension CNICall {
    static func judge(_ outcome: Outcome, verb command: String?) -> Result<Answer, Problem> {
        judgeAnswer(outcome, success: { document in
            switch command {
            case "ADD":
                guard let object = document as? [String: Any], object["cniVersion"] is String else {
                    return .failure(Problem("ADD exited 0 without a Result; \(outcome.summary)"))
                }
                return .success(.success(object))
            case "VERSION":
                guard let object = document as? [String: Any], object["supportedVersions"] is [Any] else {
                    return .failure(Problem("VERSION exited 0 without version info; \(outcome.summary)"))
                }
                return .success(.success(object))
            case "DEL", "CHECK", "GC", "STATUS":
                guard outcome.printedNothing else {
                    return .failure(Problem("\(command!) exited 0 but printed something; \(outcome.summary)"))
                }
                return .success(.success(nil))
            default:
                return .failure(Problem("an unknown command exited 0; \(outcome.summary)"))
            }
        }, error: { object in
            guard object["code"] != nil, let decoded = try? JSONDecoder().decode(ErrorDocument.self, from: Data(outcome.stdout)) else {
                return .failure(Problem("error document without an integer code; \(outcome.summary)"))
            }
            guard let message = decoded.msg, !message.isEmpty else {
                return .failure(Problem("error document without a msg; \(outcome.summary)"))
            }
            return .success(.error(code: decoded.code, message: message))
        })
    }
}

private struct ErrorDocument: Decodable {
    var code: Int
    var msg: String?
}

import Foundation

/// One plugin invocation: the `CNI_*` environment (raw bytes, ordered) and stdin.
struct CNICall {
    var environment: [(String, [UInt8])]
    var stdin: [UInt8]

    init(command: String, containerID: String, netns: String?, ifName: String = "eth0", config: [UInt8]) {
        environment = [("CNI_COMMAND", Array(command.utf8)), ("CNI_CONTAINERID", Array(containerID.utf8)),
                       ("CNI_IFNAME", Array(ifName.utf8)), ("CNI_PATH", Array("/usr/lib/cni".utf8))]
        if let netns { environment.append(("CNI_NETNS", Array(netns.utf8))) }
        stdin = config
    }

    var command: String? { self["CNI_COMMAND"].map { String(decoding: $0, as: UTF8.self) } }

    subscript(key: String) -> [UInt8]? {
        get { environment.last { $0.0 == key }?.1 }
        set {
            environment.removeAll { $0.0 == key }
            if let newValue { environment.append((key, newValue)) }
        }
    }

    func with(command: String) -> CNICall {
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
enum Answer {
    case success(Any?)
    case error(code: Int, message: String)

    var succeeded: Bool { if case .success = self { true } else { false } }
    var code: Int? { if case .error(let code, _) = self { code } else { nil } }
}

func judge(_ outcome: Outcome, command: String?) -> Result<Answer, Problem> {
    if outcome.timedOut { return .failure(Problem("hung: no answer within the time limit; \(outcome.summary)")) }
    if let signal = outcome.signal { return .failure(Problem("died by signal \(signal); \(outcome.summary)")) }
    if !outcome.stderr.isEmpty { return .failure(Problem("wrote to stderr; \(outcome.summary)")) }
    let document = try? JSONSerialization.jsonObject(with: Data(outcome.stdout), options: [.fragmentsAllowed])
    if outcome.exitStatus == 0 {
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
            guard outcome.stdout.allSatisfy({ $0 == 0x0a || $0 == 0x20 }) else {
                return .failure(Problem("\(command!) exited 0 but printed something; \(outcome.summary)"))
            }
            return .success(.success(nil))
        default:
            return .failure(Problem("an unknown command exited 0; \(outcome.summary)"))
        }
    }
    guard outcome.exitStatus == 1 else { return .failure(Problem("failed with an exit status other than 1; \(outcome.summary)")) }
    guard let object = document as? [String: Any] else {
        return .failure(Problem("failed without one JSON error document on stdout; \(outcome.summary)"))
    }
    guard object["code"] != nil, let decoded = try? JSONDecoder().decode(ErrorDocument.self, from: Data(outcome.stdout)) else {
        return .failure(Problem("error document without an integer code; \(outcome.summary)"))
    }
    let code = decoded.code, message = decoded.msg ?? ""
    guard !message.isEmpty else {
        return .failure(Problem("error document without a msg; \(outcome.summary)"))
    }
    return .success(.error(code: code, message: message))
}

private struct ErrorDocument: Decodable {
    var code: Int
    var msg: String?
}

struct Problem: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

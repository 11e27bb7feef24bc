import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One invocation of the netavark door as podman makes it: global options and a verb on the
/// command line (raw bytes, so invalid UTF-8 reaches the plugin unchanged), NetworkOptions on stdin
/// or in a `--file`, no `CNI_*` environment.
struct NetavarkCall: DoorCall {
    var arguments: [[UInt8]]
    var stdin: [UInt8]
    /// Written to `inputFilePath` before the run when the command line says `--file` (the driver's own path).
    var inputFile: [UInt8]?
    static let inputFilePath = "/tmp/io/options.json"

    init(configDirectory: String?, aardvark: String?, verb: String, netns: String, stdin: [UInt8]) {
        var arguments: [String] = []
        if let configDirectory { arguments += ["--config", configDirectory] }
        arguments.append("--rootless=false")
        if let aardvark { arguments.append("--aardvark-binary=" + aardvark) }
        arguments += [verb, netns]
        self.arguments = arguments.map { Array($0.utf8) }
        self.stdin = stdin
    }

    /// The verb the plugin should find: the first argument that is not a global option or its value,
    /// as netavark 1.x parses them (`--name value` or `--name=value`); nil when the line cannot parse.
    var verb: String? {
        let valued = ["--config", "--rootless", "--aardvark-binary", "--firewall-driver", "--file", "-f"]
        var index = 0
        while index < arguments.count {
            let argument = String(decoding: arguments[index], as: UTF8.self)
            if valued.contains(argument) { index += 2; continue }
            if valued.contains(where: { argument.hasPrefix($0 + "=") }) { index += 1; continue }
            if argument.hasPrefix("-") { return nil }
            return argument
        }
        return nil
    }

    /// The same call with its verb replaced: the teardown that follows a successful setup.
    func with(verb newVerb: String) -> NetavarkCall {
        var copy = self
        if let old = verb, let index = copy.arguments.firstIndex(of: Array(old.utf8)) { copy.arguments[index] = Array(newVerb.utf8) }
        return copy
    }

    var size: Int { stdin.count + (inputFile?.count ?? 0) }

    func invocation(plugin: String) -> Invocation {
        if let inputFile { writeFile(Self.inputFilePath, inputFile) }
        var invocation = Invocation([plugin], environment: [Array("PATH=/usr/sbin:/usr/bin:/sbin:/bin".utf8)], stdin: stdin)
        invocation.arguments += arguments
        return invocation
    }

    var description: String {
        let argv = arguments.map { clip(String(decoding: $0, as: UTF8.self), 120) }.joined(separator: " ")
        let file = inputFile.map { " --file contents \(clip(String(decoding: $0, as: UTF8.self), 300))" } ?? ""
        return "argv [\(argv)] stdin \(clip(String(decoding: stdin, as: UTF8.self), 300))\(file)"
    }
}

/// What podman may rely on in any answer of the netavark door: never a signal, never stderr; on
/// failure exit 1 and exactly one `{"error": "<non-empty>"}` on stdout; on success the verb's
/// output — a StatusBlock map for setup, nothing for teardown, the version document for version.
extension NetavarkCall {
    static func judge(_ outcome: Outcome, verb: String?) -> Result<Answer, Problem> {
        judgeAnswer(outcome, success: { document in
            switch verb {
            case "setup":
                guard let statuses = document as? [String: Any], !statuses.isEmpty,
                      statuses.values.allSatisfy(isStatusBlock) else {
                    return .failure(Problem("setup exited 0 without a StatusBlock map; \(outcome.summary)"))
                }
                return .success(.success(statuses))
            case "teardown":
                guard outcome.printedNothing else {
                    return .failure(Problem("teardown exited 0 but printed something; \(outcome.summary)"))
                }
                return .success(.success(nil))
            case "version":
                guard let object = document as? [String: Any], object["version"] is String else {
                    return .failure(Problem("version exited 0 without the version document; \(outcome.summary)"))
                }
                return .success(.success(object))
            default:
                return .failure(Problem("a command line that names no known verb exited 0; \(outcome.summary)"))
            }
        }, error: { object in
            guard let message = object["error"] as? String, !message.isEmpty else {
                return .failure(Problem("error document without a non-empty \"error\" string; \(outcome.summary)"))
            }
            return .success(.error(code: 1, message: message))
        })
    }
}

/// `{"interfaces": {<name>: {"mac_address": …, "subnets": [{"ipnet": …}]}}, "dns_server_ips": […], "dns_search_domains": […]}`
private func isStatusBlock(_ value: Any) -> Bool {
    guard let block = value as? [String: Any], let interfaces = block["interfaces"] as? [String: Any], !interfaces.isEmpty,
          block["dns_server_ips"] == nil || block["dns_server_ips"] is [String],
          block["dns_search_domains"] == nil || block["dns_search_domains"] is [String] else { return false }
    return interfaces.values.allSatisfy { interface in
        guard let interface = interface as? [String: Any], interface["mac_address"] is String else { return false }
        return (interface["subnets"] as? [[String: Any]] ?? []).allSatisfy { $0["ipnet"] is String }
    }
}

extension PrivateWorld {
    /// aardvark-dns processes alive in the sandbox (its own PID namespace: only what the plugin started).
    /// Zombies do not count: the sandbox's PID 1 reaps them when it gets to it.
    func aardvarkProcesses() -> [String] {
        var found: [String] = []
        for name in rawDirectory("/proc") {
            let pid = String(decoding: name, as: UTF8.self)
            guard Int(pid) != nil else { continue }
            let stat = String(decoding: readFile("/proc/\(pid)/stat"), as: UTF8.self)
            guard let close = stat.lastIndex(of: ")"), stat[..<close].contains("(aardvark") else { continue }
            let state = stat[stat.index(after: close)...].split(separator: " ").first ?? ""
            if state != "Z" && state != "X" { found.append(pid) }
        }
        return found
    }

    /// Leftover aardvark-dns processes, after giving a stopped one a moment to exit (SIGTERM is asynchronous).
    func aardvarkLeftovers() -> [String] {
        var running = aardvarkProcesses()
        var waited = 0
        while !running.isEmpty && waited < 100 {
            usleep(10_000)
            waited += 1
            running = aardvarkProcesses()
        }
        return running.map { "aardvark-dns process \($0) still running" }
    }

    func killAardvark() {
        for pid in aardvarkProcesses() { kill(pid_t(pid)!, SIGKILL) }
    }
}

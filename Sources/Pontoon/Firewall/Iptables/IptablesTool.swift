import HostSystem
import NetAddress

/// `iptables`/`ip6tables` and their `-restore` as installed: a restore script applied in one run
/// (`--noflush`: only the lines given change anything), and `-C` to ask whether one rule exists.
/// Their diagnostics are captured into errors, never passed to the plugin's stderr.
struct IptablesTool {
    let family: IPFamily

    private static let directories = ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]
    private static let environment = ["PATH": directories.joined(separator: ":"), "LC_ALL": "C"]

    private var command: String { family == .v4 ? "iptables" : "ip6tables" }

    /// One script per operation: tables in order, each its declarations and rule lines.
    struct Script {
        private var sections: [(table: IptablesRule.Table, lines: [String])] = []
        var isEmpty: Bool { sections.allSatisfy { $0.lines.isEmpty } }

        mutating func add(_ table: IptablesRule.Table, _ line: String) {
            if let index = sections.firstIndex(where: { $0.table == table }) {
                sections[index].lines.append(line)
            } else {
                sections.append((table, [line]))
            }
        }
        /// Declaring a user chain creates it, or empties it when it exists.
        mutating func declare(_ table: IptablesRule.Table, _ chain: String) { add(table, ":\(chain) - [0:0]") }
        mutating func append(_ rule: IptablesRule) { add(rule.table, "-A \(rule.chain) \(rule.text)") }
        /// Ahead of whatever else the base chain holds: a DROP policy or rule there must not win.
        mutating func insertFirst(_ rule: IptablesRule) { add(rule.table, "-I \(rule.chain) 1 \(rule.text)") }
        mutating func delete(_ rule: IptablesRule) { add(rule.table, "-D \(rule.chain) \(rule.text)") }
        mutating func deleteChain(_ table: IptablesRule.Table, _ chain: String) { add(table, "-X \(chain)") }
        mutating func merge(_ other: Script) {
            for section in other.sections { for line in section.lines { add(section.table, line) } }
        }

        var text: String {
            sections.filter { !$0.lines.isEmpty }
                .map { "*\($0.table.rawValue)\n" + $0.lines.joined(separator: "\n") + "\nCOMMIT\n" }
                .joined()
        }
    }

    func path(_ name: String) throws -> String {
        guard let found = ChildProcesses.find(name, in: Self.directories) else {
            throw PontoonError(.notReady, "\(name) is not installed", details: "the iptables firewall driver needs \(name) (Debian: apt-get install iptables)")
        }
        return found
    }

    /// Apply the script in one `iptables-restore --noflush` run; its message names the failing line.
    func restore(_ script: Script, what: String) throws {
        guard !script.isEmpty else { return }
        let outcome = try ChildProcesses.run(try path("\(command)-restore"), arguments: ["-w", "--noflush"],
                                             environment: Self.environment, stdin: Array(script.text.utf8), mergeStderr: true)
        guard outcome.status == 0 else {
            throw PontoonError(.system, "\(command)-restore failed to \(what)", details: Self.message(outcome))
        }
    }

    enum Presence { case present, absent, chainMissing }

    /// `-C`: whether the rule is there; `chainMissing` when the chain it jumps to does not exist.
    func presence(_ rule: IptablesRule) throws -> Presence {
        let outcome = try ChildProcesses.run(try path(command), arguments: ["-w", "-t", rule.table.rawValue, "-C", rule.chain] + rule.spec,
                                             environment: Self.environment, stdin: [], mergeStderr: true)
        switch outcome.status {
        case 0: return .present
        case 1: return .absent
        case 2 where Self.message(outcome).contains("does not exist"): return .chainMissing
        default:
            throw PontoonError(.system, "\(command) cannot check a rule in chain \(rule.chain)", details: Self.message(outcome))
        }
    }

    func exists(_ rule: IptablesRule) throws -> Bool { try presence(rule) == .present }

    /// The tool runs and can read the kernel's tables (a test restore commits nothing).
    func readiness() throws {
        var script = Script()
        script.add(.nat, "-C OUTPUT -j ACCEPT")
        let outcome = try ChildProcesses.run(try path("\(command)-restore"), arguments: ["-w", "--noflush", "--test"],
                                             environment: Self.environment, stdin: Array(script.text.utf8), mergeStderr: true)
        guard outcome.status == 0 else {
            throw PontoonError(.notReady, "\(command)-restore cannot program the firewall", details: Self.message(outcome))
        }
    }

    private static func message(_ outcome: ChildProcess.Outcome) -> String {
        let text = String(decoding: outcome.stdout.prefix(2000), as: UTF8.self)
        let lines = text.split(separator: "\n").filter { !$0.hasPrefix("Try `") }
        return lines.isEmpty ? "exit status \(outcome.status)" : lines.joined(separator: "; ")
    }
}

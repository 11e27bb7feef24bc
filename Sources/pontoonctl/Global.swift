import ArgumentParser
import Foundation
import HostSystem
import PontoonCtl

/// Options given before the command, as `podman --root` is: every command reads them.
struct GlobalOptions: ParsableArguments {
    // No declared defaults: a user other than root gets its own (see RootlessEnvironment).
    @Option(name: .customLong("state-dir"),
            help: ArgumentHelp("Where container state, locks and plugin state live. "
                                 + defaultHelp(ControlPaths.rootStateDirectory, "$XDG_RUNTIME_DIR/pontoon")))
    var stateDir: String?

    @Option(name: .customLong("config-dir"),
            help: ArgumentHelp("Where network files (and generated conflists) live. "
                                 + defaultHelp(ControlPaths.rootConfigDirectory, "$XDG_CONFIG_HOME/pontoon/networks")))
    var configDir: String?

    @Option(name: .customLong("plugin-dir"), help: "Where plugins are looked for (after pontoonctl's own directory); repeatable.")
    var pluginDirs: [String] = []

    @Option(name: .customLong("netns-dir"),
            help: ArgumentHelp("Where container network namespaces are bind-mounted. "
                                 + defaultHelp(ControlPaths.rootNetnsDirectory, "$XDG_RUNTIME_DIR/netns")))
    var netnsDir: String?

    @Option(name: .customLong("aardvark-binary"), help: "aardvark-dns, passed to netavark-protocol plugins.")
    var aardvarkBinary = "/usr/lib/podman/aardvark-dns"

    func validate() throws {
        let given = [(stateDir, "--state-dir"), (configDir, "--config-dir"), (netnsDir, "--netns-dir")]
            .compactMap { path, name in path.map { ($0, name) } }
        for (path, name) in given + pluginDirs.map({ ($0, "--plugin-dir") }) {
            guard PathRule.isAbsoluteWithoutParent(path) else {
                throw ValidationError("\(name) \"\(path)\" must be an absolute path without ..")
            }
        }
        // The rootless defaults live in the runtime directory: one that cannot hold them stops every command.
        // (Not when help is asked for: ArgumentParser shows it after a failed validation.)
        let wantsHelp = CommandLine.arguments.dropFirst().contains { $0 == "-h" || $0 == "--help" }
        if let rootless = RootlessEnvironment.current(), stateDir == nil || netnsDir == nil, !wantsHelp {
            _ = try perform { () throws(CtlError) in try rootless.runtimeDirectory() }
        }
    }

    var store: Store {
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let rootless = RootlessEnvironment.current()
        return Store(paths: ControlPaths(stateDirectory: stateDir ?? rootless?.defaultStateDirectory ?? ControlPaths.rootStateDirectory,
                                         configDirectory: configDir ?? rootless?.defaultConfigDirectory ?? ControlPaths.rootConfigDirectory,
                                         netnsDirectory: netnsDir ?? rootless?.defaultNetnsDirectory ?? ControlPaths.rootNetnsDirectory,
                                         pluginDirectories: pluginDirs, aardvarkBinary: aardvarkBinary,
                                         selfDirectory: (me as NSString).deletingLastPathComponent, rootless: rootless))
    }

    var containers: ContainerOperations {
        ContainerOperations(store: store) { warning in Output.warn(warning) }
    }
}

/// The default a help line names: root's, or the one a rootless user gets (see RootlessEnvironment).
private func defaultHelp(_ root: String, _ rootless: String) -> String { "(default: \(geteuid() == 0 ? root : rootless))" }

enum Format: String, ExpressibleByArgument, CaseIterable {
    case table, json
}

struct FormatOption: ParsableArguments {
    @Option(help: "table (default) or json.")
    var format: Format = .table
}

enum Output {
    static func warn(_ text: String) {
        FileHandle.standardError.write(Data(("Warning: " + text + "\n").utf8))
    }

    static func json<T: Encodable>(_ value: T) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(value)) ?? Data("null".utf8)
        print(String(decoding: data, as: UTF8.self))
    }

    /// A listing as `--format` asks: the items as JSON, or a table with a row an item.
    static func list<Item: Encodable>(_ items: [Item], _ format: Format, header: [String], row: (Item) -> [String]) {
        if format == .json { json(items) } else { table(header, items.map(row)) }
    }

    /// Columns padded to their widest cell.
    static func table(_ header: [String], _ rows: [[String]]) {
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        for row in [header] + rows {
            let line = row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
            print(line)
        }
    }

}

/// Runs an operation, turning its error into one line on stderr and podman's exit status.
func perform<T>(_ body: () throws(CtlError) -> T) throws -> T {
    do {
        return try body()
    } catch {
        FileHandle.standardError.write(Data(("Error: " + error.description + "\n").utf8))
        throw ExitCode(error.exitStatus)
    }
}

/// A command given several names, as podman's rm, stop and start: each name's failure is one line
/// on stderr and the others are still done. The exit status when any failed: the failure's own for
/// a single name (125 bad input, 1 a failed operation), 1 for several ("not all were done").
func eachName(_ names: [String], _ body: (String) throws(CtlError) -> Void) -> Int32? {
    var status: Int32?
    for name in names {
        do throws(CtlError) {
            try body(name)
        } catch {
            FileHandle.standardError.write(Data(("Error: " + error.description + "\n").utf8))
            status = names.count == 1 ? error.exitStatus : 1
        }
    }
    return status
}

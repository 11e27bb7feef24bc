import ArgumentParser
import Foundation
import PontoonCtl

/// Options given before the command, as `podman --root` is: every command reads them.
struct GlobalOptions: ParsableArguments {
    @Option(name: .customLong("state-dir"), help: "Where container state, locks and plugin state live.")
    var stateDir = "/run/pontoon/ctl"

    @Option(name: .customLong("config-dir"), help: "Where network files (and generated conflists) live.")
    var configDir = "/etc/pontoon/networks"

    @Option(name: .customLong("plugin-dir"), help: "Where plugins are looked for (after pontoonctl's own directory); repeatable.")
    var pluginDirs: [String] = []

    @Option(name: .customLong("netns-dir"), help: "Where container network namespaces are bind-mounted.")
    var netnsDir = "/run/netns"

    @Option(name: .customLong("aardvark-binary"), help: "aardvark-dns, passed to netavark-protocol plugins.")
    var aardvarkBinary = "/usr/lib/podman/aardvark-dns"

    func validate() throws {
        for (path, name) in [(stateDir, "--state-dir"), (configDir, "--config-dir"), (netnsDir, "--netns-dir")] + pluginDirs.map({ ($0, "--plugin-dir") }) {
            guard path.hasPrefix("/"), !path.split(separator: "/").contains("..") else {
                throw ValidationError("\(name) \"\(path)\" must be an absolute path without ..")
            }
        }
    }

    var store: Store {
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return Store(paths: ControlPaths(stateDirectory: stateDir, configDirectory: configDir, netnsDirectory: netnsDir,
                                         pluginDirectories: pluginDirs, aardvarkBinary: aardvarkBinary,
                                         selfDirectory: (me as NSString).deletingLastPathComponent))
    }

    var containers: ContainerOperations {
        ContainerOperations(store: store) { warning in Output.warn(warning) }
    }
}

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

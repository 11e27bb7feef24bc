import ArgumentParser
import Foundation
import PontoonCtl

// `ps` and `exec`, as a podman user types them.

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ps", abstract: "Running containers (all with -a), their networks, addresses and ports.",
        discussion: "Example: pontoonctl ps -a --format '{{.Names}} {{.State}}'")
    @OptionGroup(visibility: .hidden) var global: GlobalOptions
    @Flag(name: [.short, .long], help: "All containers: created and exited ones too, not only running ones.") var all = false
    @Flag(name: [.short, .long], help: "Only the containers' IDs (12 digits), one a line.") var quiet = false
    @OptionGroup var format: ReportFormatOption

    func run() throws {
        let records = try perform { () throws(CtlError) in try global.store.containers() }.filter { all || $0.state == .running }
        if quiet {
            for record in records { print(record.shortID) }
            return
        }
        if case .template = format.format {
            return try Output.report(records.map { ReportedContainer(listed: ListedContainer($0)) }, format.format, header: []) { _ in [] }
        }
        try Output.report(records.map(ListedContainer.init), format.format,
                          header: ["ID", "NAME", "STATE", "NETWORKS", "ADDRESSES", "PORTS"]) { listed in
            let record = listed.record
            return [record.shortID, record.name, record.state.podmanStatus, record.networkMode.map { "\($0)" } ?? record.networks.map(\.network).joined(separator: ","),
             Views.addresses(record).joined(separator: ","), Views.ports(record.ports).joined(separator: ", ")]
        }
    }
}

struct Exec: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a command inside the container's network namespace, with its resolv.conf and hosts.",
        discussion: "Everything after NAME is the command, as podman's exec takes it (a -- before it is allowed). Example: pontoonctl exec web ping -c1 db")
    @OptionGroup(visibility: .hidden) var global: GlobalOptions
    @Argument(help: "The container's name.") var name: String
    // `exec NAME CMD…` without `--` reaches here with one put in (ExecArguments).
    @Argument(parsing: .postTerminator, help: "The command and its arguments.") var command: [String] = []

    func validate() throws {
        if command.isEmpty { throw ValidationError("exec needs a command after the container's name") }
    }

    func run() throws {
        try perform { () throws(CtlError) in try global.containers.exec(name, command) }
    }
}

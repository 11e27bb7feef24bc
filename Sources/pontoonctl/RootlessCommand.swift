import ArgumentParser
import Foundation
import PontoonCtl

/// The rootless network namespace by hand (as `podman unshare --rootless-netns` reaches it), which
/// rootless `create` brings up and the last `rm` takes down: `up`, `down`, or `exec -- COMMAND` inside it.
struct RootlessNetNSCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rootless-netns", shouldDisplay: false)

    @OptionGroup(visibility: .hidden) var global: GlobalOptions
    @Argument(help: "up, down or exec") var action: String
    @Argument(parsing: .postTerminator) var command: [String] = []

    func run() throws {
        let store = global.store
        let netns = try perform { () throws(CtlError) -> RootlessNetNS in
            guard let rootless = store.paths.rootless else { throw CtlError(.usage, "the rootless network namespace is for users other than root") }
            return RootlessNetNS(host: try rootless.preflight(), stateDirectory: store.paths.stateDirectory)
        }
        switch action {
        case "up":
            print(try perform { () throws(CtlError) in try netns.up(published: global.containers.publishedPorts, warn: Output.warn) })
        case "down":
            try perform { () throws(CtlError) in try netns.down() }
        case "exec":
            let result = try perform { () throws(CtlError) in try netns.run(command) }
            FileHandle.standardOutput.write(result.stdout)
            FileHandle.standardError.write(result.stderr)
            if result.status != 0 { throw ExitCode(result.status) }
        default:
            throw ValidationError("rootless-netns takes up, down or exec, not \(action)")
        }
    }
}

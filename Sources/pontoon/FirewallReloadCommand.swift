import CNIDoor
import Pontoon

/// `pontoon firewall-reload [--state-dir DIR]`: a plain command (no CNI environment) that writes
/// every network's firewall rules and every attachment's port mappings again from Pontoon's
/// records, after something flushed the ruleset (`nft flush ruleset`, a firewalld reload).
/// Running it on an intact ruleset changes nothing.
struct FirewallReloadCommand {
    let arguments: [String]
    let environment: [String: String]

    func run() -> PluginAnswer {
        var stateDirectory = environment["PONTOON_STATE_DIR"] ?? PluginSetup.defaultStateDirectory
        var rest = arguments[...]
        while let argument = rest.popFirst() {
            if argument == "--state-dir", let value = rest.popFirst() {
                stateDirectory = value
            } else if argument.hasPrefix("--state-dir=") {
                stateDirectory = String(argument.dropFirst("--state-dir=".count))
            } else {
                return fail("unknown argument \"\(argument)\"; usage: pontoon firewall-reload [--state-dir DIR]")
            }
        }
        guard stateDirectory.hasPrefix("/") else {
            return fail("--state-dir \"\(stateDirectory)\" must be an absolute path")
        }
        do {
            let restored = try Engine(stateDirectory: stateDirectory).reloadFirewall()
            return PluginAnswer(output: Array("reloaded \(restored.networks) networks, \(restored.attachments) attachments\n".utf8), status: 0)
        } catch {
            return fail("\(error)")
        }
    }

    /// Errors go to stdout like every answer of the plugin: nothing is ever written to stderr.
    private func fail(_ message: String) -> PluginAnswer {
        PluginAnswer(output: Array("pontoon firewall-reload: \(message)\n".utf8), status: 1)
    }
}

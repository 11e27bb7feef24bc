import ArgumentParser
import PontoonCtl

/// `pontoonctl port-proxy SPEC` (hidden): the user-space port proxy a container with
/// `port_handler=rootlesskit` runs, started detached by create with its ready pipe as fd 3.
/// `--inner`: its helper inside the target namespace, with the channel as fd 3. `--routing`: see below.
struct PortProxyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "port-proxy", shouldDisplay: false)
    @Argument var spec: String?
    @Flag var inner = false
    /// With `--inner`: bind inner sockets to the client's address (`PortProxySpec.transparent`).
    @Flag var transparent = false
    /// Inside the rootless netns: make the transparent sockets' routing again and exit (reload does
    /// this after the rules were flushed; the helpers make it only when they start).
    @Flag var routing = false

    func run() throws {
        if routing {
            if let failure = TransparentRouting.setUp() { throw CtlError(.failed, "port proxy: \(failure)") }
            return
        }
        if inner { PortProxy.serveInner(channel: 3, transparent: transparent) }
        guard let spec else { throw ValidationError("port-proxy needs its spec file") }
        PortProxy.run(specPath: spec, ready: 3)
    }
}

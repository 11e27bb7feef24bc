#if canImport(Glibc)
import Glibc
#endif
import CNIDoor
import NetavarkDoor
import Netlink
import Pontoon

// One short-lived process per operation. Pick the front door from how we were called:
//  - invoked as `host-local` (a link to this binary): serve only the host-local IPAM plugin;
//  - `CNI_COMMAND` set (or no arguments): the CNI plugin (cnitool, libcni, podman's CNI backend,
//    containerd, CRI-O);
//  - `firewall-reload`: re-apply the firewall from the records;
//  - otherwise: netavark's command line (`[options] setup|teardown <netns>`, `update`, `version`).

Timing.begin()

// A delegated plugin that exits early must not kill us with SIGPIPE while we feed its stdin.
signal(SIGPIPE, SIG_IGN)
// Netfilter sockets are closed by our exit, not after each use (see `closeAtExit`).
NetfilterSocket.closeAtExit = true

/// Ends the process once the answer is out. `_exit`, not `exit`: nothing of the plugin writes
/// through stdio buffers or registers exit handlers, and `exit`'s walk over them (and the
/// libraries' finalizers, the binary's own `_fini` a page fault away) is work no caller waits for.
func finish(_ status: Int32) -> Never {
    _exit(status)
}

// In a function, not top-level code: top-level variables of main.swift belong to the main actor,
// which links the Concurrency runtime and libdispatch, whose constructors then run before main in
// every plugin process (scripts/build notes it when they come back).
func serve() -> Never {
    let arguments = CommandLine.arguments
    let environment = ProcessIO.environment()
    let invokedAs = arguments.first.map { String($0.split(separator: "/").last ?? "") } ?? ""

    let answer: PluginAnswer
    if invokedAs == "host-local" || invokedAs == "pontoon-host-local" {
        answer = HostLocalDoor.run(environment: environment, stdin: ProcessIO.readStandardInput())
    } else if environment["CNI_COMMAND"] == nil && arguments.count >= 2 && arguments[1] == "firewall-reload" {
        answer = FirewallReloadCommand(arguments: Array(arguments.dropFirst(2)), environment: environment).run()
    } else if environment["CNI_COMMAND"] != nil || arguments.count < 2 {
        answer = CNIDoor.run(environment: environment, stdin: ProcessIO.readStandardInput())
    } else {
        answer = NetavarkInvocation.answer(arguments: Array(arguments.dropFirst()), environment: environment,
                                           readInput: ProcessIO.readStandardInput)
    }
    if !ProcessIO.writeStandardOutput(answer.output) {
        // The caller cannot learn what we did: a success it never reads is a failure, undone.
        Log.error("cannot write the answer to stdout (\(String(cString: strerror(errno)))); undoing the operation")
        answer.undo?()
        finish(answer.status == 0 ? 1 : answer.status)
    }
    Timing.mark("answer")
    Timing.finish()
    finish(answer.status)
}

serve()

import Foundation
import Netlink

/// `exec`: the command replaces pontoonctl inside the container's network namespace. When the
/// container has its own `resolv.conf` and `hosts`, the command sees them over `/etc`'s (in a
/// private mount namespace made by `unshare`), so names resolve as they would in the container.
public enum NamespaceExec {
    static let unshare = ["/usr/bin/unshare", "/bin/unshare"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// `joining`: for a rootless container, the nsenter command that joins the pause process's user
    /// and mount namespaces (`RootlessNetNS.joining`). Its namespace is bind-mounted only in that
    /// mount namespace and owned by that user namespace, so pontoonctl cannot setns into it itself
    /// (that needs CAP_SYS_ADMIN in its own user namespace, and joining a user namespace needs a
    /// single-threaded process): a second nsenter, run inside, joins it by path.
    public static func exec(netns: String, files: String?, joining: [String] = [], _ command: [String]) throws(CtlError) -> Never {
        guard !command.isEmpty else { throw CtlError(.usage, "exec needs a command after --") }
        var argv = command
        if let files, let unshare, FileManager.default.fileExists(atPath: files + "/resolv.conf") {
            argv = [unshare, "--mount", "--propagation", "private", "/bin/sh", "-c",
                    "mount --bind \"$1\" /etc/resolv.conf && mount --bind \"$2\" /etc/hosts && shift 2 && exec \"$@\"",
                    "sh", files + "/resolv.conf", files + "/hosts"] + command
        }
        if !joining.isEmpty {
            try run(joining + [RootlessNetNS.nsenter, "--net=" + netns, "--"] + argv)
        }
        do {
            let namespace = try NetworkNamespace(path: netns)
            try namespace.run { try run(argv) }
        } catch let error as CtlError {
            throw error
        } catch {
            throw CtlError(.failed, "cannot enter \(netns): \(error)")
        }
        fatalError("unreachable: exec either replaced the process or threw")
    }

    /// execvp, returning only when it failed.
    private static func run(_ argv: [String]) throws(CtlError) {
        var pointers: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        execvp(argv[0], &pointers)
        throw CtlError(.failed, "cannot run \(argv[0]): \(String(cString: strerror(errno)))")
    }
}

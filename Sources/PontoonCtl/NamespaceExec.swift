import Foundation
import Netlink

/// `exec`: the command replaces pontoonctl inside the container's network namespace. When the
/// container has its own `resolv.conf` and `hosts`, the command sees them over `/etc`'s (in a
/// private mount namespace made by `unshare`), so names resolve as they would in the container.
public enum NamespaceExec {
    static let unshare = ["/usr/bin/unshare", "/bin/unshare"].first { FileManager.default.isExecutableFile(atPath: $0) }

    public static func exec(netns: String, files: String?, _ command: [String]) throws(CtlError) -> Never {
        guard !command.isEmpty else { throw CtlError(.usage, "exec needs a command after --") }
        var argv = command
        if let files, let unshare, FileManager.default.fileExists(atPath: files + "/resolv.conf") {
            argv = [unshare, "--mount", "--propagation", "private", "/bin/sh", "-c",
                    "mount --bind \"$1\" /etc/resolv.conf && mount --bind \"$2\" /etc/hosts && shift 2 && exec \"$@\"",
                    "sh", files + "/resolv.conf", files + "/hosts"] + command
        }
        let program = argv[0]
        do {
            let namespace = try NetworkNamespace(path: netns)
            try namespace.run {
                var pointers: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
                execvp(program, &pointers)
                throw CtlError(.failed, "cannot run \(program): \(String(cString: strerror(errno)))")
            }
        } catch let error as CtlError {
            throw error
        } catch {
            throw CtlError(.failed, "cannot enter \(netns): \(error)")
        }
        fatalError("unreachable: exec either replaced the process or threw")
    }
}

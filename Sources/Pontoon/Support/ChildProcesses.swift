import HostSystem

/// The programs the engine runs: a delegated IPAM plugin, iptables and its restore, aardvark-dns.
/// HostSystem's runner with its failures as `PontoonError`.
public enum ChildProcesses {
    /// The first executable named `name` in `directories` (`CNI_PATH`).
    public static func find(_ name: String, in directories: [String]) -> String? {
        ChildProcess.find(name, in: directories)
    }

    /// Runs `path` the way a runtime runs a plugin: given env, stdin, stdout collected.
    /// `mergeStderr`: the child's stderr joins its stdout (tools whose diagnostics explain a
    /// failure); otherwise it is inherited.
    public static func run(_ path: String, arguments: [String] = [], environment: [String: String],
                           stdin input: [UInt8], mergeStderr: Bool = false) throws(PontoonError) -> ChildProcess.Outcome {
        do {
            return try ChildProcess.run(path, arguments: arguments, environment: environment, stdin: input,
                                        stderr: mergeStderr ? .mergedIntoStdout : .inherited)
        } catch {
            throw PontoonError(error)
        }
    }

    /// Starts a service that daemonizes itself (aardvark-dns); the launching process's exit status.
    static func launchDetached(_ path: String, arguments: [String], environment: [String: String]) throws(PontoonError) -> Int32 {
        do {
            return try ChildProcess.launchDetached(path, arguments: arguments, environment: environment)
        } catch {
            throw PontoonError(error)
        }
    }
}

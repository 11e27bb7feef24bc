import Foundation
import HostSystem

/// A plugin run as a child process, exactly as a container engine runs it: its own environment
/// (nothing inherited but PATH and pontoon's logging variables), stdin, stdout, stderr and exit
/// status. The run ends when the plugin has exited even if a daemon it started (aardvark-dns) still
/// holds its stdout or stderr open, and the plugin gets no descriptor of ours but 0, 1 and 2.
struct PluginRun {
    var status: Int32
    var stdout: Data
    var stderr: Data

    var stdoutText: String { String(decoding: stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) }

    /// `prefix` is a command the plugin runs through (`ControlPaths.pluginPrefix`), which ends by executing it.
    static func run(_ executable: String, _ arguments: [String], environment: [String: String], stdin: Data,
                    prefix: [String] = []) throws(CtlError) -> PluginRun {
        var env = environment
        let inherited = ProcessInfo.processInfo.environment
        env["PATH"] = inherited["PATH"] ?? "/usr/sbin:/usr/bin:/sbin:/bin"
        for (key, value) in inherited where key.hasPrefix("PONTOON_") { env[key] = value }
        // A plugin may exit without reading stdin: that must not kill pontoonctl. The plugin itself
        // gets SIGPIPE's default back.
        signal(SIGPIPE, SIG_IGN)
        do throws(SystemError) {
            let command = prefix + [executable] + arguments
            let outcome = try ChildProcess.run(command[0], arguments: Array(command.dropFirst()), environment: env, stdin: [UInt8](stdin),
                                               stderr: .captured, onlyStandardDescriptors: true,
                                               signals: .unblocked(defaulting: [SIGPIPE]), endsWithChild: true)
            return PluginRun(status: outcome.status, stdout: Data(outcome.stdout), stderr: Data(outcome.stderr))
        } catch where error.operation == .pipe {
            throw CtlError(.failed, "cannot make pipes for \(executable): \(error.reason)")
        } catch {
            throw CtlError(.failed, "cannot run \(executable): \(error.reason)")
        }
    }
}

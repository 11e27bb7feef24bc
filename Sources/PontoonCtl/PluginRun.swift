import Foundation

/// A plugin run as a child process, exactly as a container engine runs it: its own environment
/// (nothing inherited but PATH and pontoon's logging variables), stdin, stdout and exit status.
struct PluginRun {
    var status: Int32
    var stdout: Data
    var stderr: Data

    var stdoutText: String { String(decoding: stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) }

    static func run(_ executable: String, _ arguments: [String], environment: [String: String], stdin: Data) throws(CtlError) -> PluginRun {
        var env = environment
        let inherited = ProcessInfo.processInfo.environment
        env["PATH"] = inherited["PATH"] ?? "/usr/sbin:/usr/bin:/sbin:/bin"
        for (key, value) in inherited where key.hasPrefix("PONTOON_") { env[key] = value }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = env
        let input = Pipe(), output = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        do {
            try process.run()
        } catch {
            throw CtlError(.failed, "cannot run \(executable): \(error.localizedDescription)")
        }
        // Feed and drain concurrently: a plugin may answer before reading all of stdin.
        let group = DispatchGroup()
        nonisolated(unsafe) var errorData = Data()
        group.enter()
        DispatchQueue.global().async {
            try? input.fileHandleForWriting.write(contentsOf: stdin)
            try? input.fileHandleForWriting.close()
            errorData = errors.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = output.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return PluginRun(status: process.terminationStatus, stdout: outData, stderr: errorData)
    }
}

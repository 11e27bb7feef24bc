import Foundation
import HostSystem

/// A running port proxy as the container's record keeps it: its pid and files, to stop it at rm.
public struct PortProxyProcess: Codable, Sendable, Equatable {
    public var pid: Int32
    /// The spec it read, which also tells its command line from any other pontoonctl's.
    public var spec: String
    public var log: String

    static let readyTimeout: Int32 = 15_000   // ms; it binds, then its helper enters the namespace

    /// Starts `pontoonctl port-proxy SPEC` detached (own session, no fd of ours but the ready pipe)
    /// and waits for its verdict: a listener it could not bind fails create with the proxy's
    /// reason, and the proxy is gone by then.
    static func start(_ spec: PortProxySpec, directory: String) throws(CtlError) -> PortProxyProcess {
        guard let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else {
            throw CtlError(.failed, "cannot find pontoonctl's own executable to start the port proxy")
        }
        try Store.makeDirectory(directory)
        var process = PortProxyProcess(pid: 0, spec: directory + "/port-proxy.json", log: directory + "/port-proxy.log")
        do {
            try JSONEncoder().encode(spec).write(to: URL(fileURLWithPath: process.spec))
        } catch {
            throw CtlError(.failed, "cannot write \(process.spec): \(error.localizedDescription)")
        }
        var ready: [Int32] = [-1, -1]
        guard pipe(&ready) == 0 else {
            process.removeFiles()
            throw CtlError(.failed, "cannot make the port proxy's ready pipe: \(String(cString: strerror(errno)))")
        }
        for fd in ready { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        defer { close(ready[0]) }
        // pontoonctl's environment as it is: a rootless pontoonctl needs its XDG_RUNTIME_DIR even to start.
        do throws(SystemError) {
            process.pid = try ChildProcess.startService(executable, arguments: ["port-proxy", process.spec],
                                                        environment: ProcessInfo.processInfo.environment,
                                                        descriptors: [ready[1]], log: process.log)
            close(ready[1])
        } catch {
            close(ready[1])
            process.removeFiles()
            throw CtlError(.failed, "cannot start the port proxy: \(error.reason)")
        }
        let answer = readLine(ready[0])
        guard answer == "ok" else {
            let log = (try? String(contentsOfFile: process.log, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            process.stop()
            var reason = answer ?? "did not report ready within \(readyTimeout / 1000) s"
            if reason.isEmpty { reason = "exited before it was ready" + (log.isEmpty ? "" : ": " + log.replacingOccurrences(of: "\n", with: "; ")) }
            throw CtlError(.failed, "port proxy: " + reason)
        }
        return process
    }

    /// The first line the proxy writes, nil on timeout ("" when it closed the pipe without a word).
    private static func readLine(_ fd: Int32) -> String? {
        var text: [UInt8] = []
        var byte: UInt8 = 0
        while !text.contains(UInt8(ascii: "\n")) {
            var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let result = poll(&entry, 1, readyTimeout)
            if result < 0, errno == EINTR { continue }
            guard result > 0 else { return nil }
            guard read(fd, &byte, 1) == 1 else { break }
            text.append(byte)
        }
        return String(decoding: text, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// SIGTERM, then SIGKILL if it lingers; only signalled while it is this proxy (a pid can be
    /// reused). Its helper reads the channel's end and exits with it. The files go.
    func stop() {
        service.stop()
        removeFiles()
    }

    private func removeFiles() {
        unlink(spec)
        unlink(log)
    }

    /// Started with this spec: its command line names the spec file.
    var service: ServiceProcess {
        let spec = spec
        return ServiceProcess(pid: pid) { pid in
            let command = KernelFile.text("/proc/\(pid)/cmdline") ?? ""
            return command.split(separator: "\0").contains { $0 == spec }
        }
    }
}

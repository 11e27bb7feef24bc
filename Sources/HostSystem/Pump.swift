#if canImport(Glibc)
import Glibc
#endif

/// Feeds a child's stdin and drains its outputs together, so neither side waits on a full pipe.
struct Pump {
    private let input: [UInt8]
    private var written = 0
    private var writer: Int32
    private var open: [Int32]
    private(set) var output: [Int32: [UInt8]] = [:]
    private var buffer = [UInt8](repeating: 0, count: 65536)

    init(input: [UInt8], writer: Int32, readers: [Int32]) {
        self.input = input
        self.writer = writer
        self.open = readers
        for fd in readers { output[fd] = [] }
    }

    /// Runs until every output is at its end, or (given `pid`) until that child has exited; closes
    /// every descriptor. Returns the exit status when it reaped the child.
    mutating func run(pid: pid_t?) -> Int32? {
        // Non-blocking: after the child's exit, a daemon it started may hold the pipes open for good.
        for fd in open + [writer] { _ = fcntl(fd, F_SETFL, O_NONBLOCK) }
        if input.isEmpty { closeWriter() }
        var exitStatus: Int32?
        // Without a child to watch, the end of the output is the end (a child that stopped reading
        // its stdin then has no more to say).
        while !open.isEmpty || (pid != nil && writer >= 0) {
            if let pid {
                var status: Int32 = 0
                let reaped = waitpid(pid, &status, WNOHANG)
                if reaped == pid {
                    exitStatus = ChildProcess.exitStatus(status)
                } else if reaped < 0, errno != EINTR {
                    exitStatus = -1
                }
                if exitStatus != nil {
                    // The child is gone: what it wrote is in the pipes now. Read that and stop.
                    for fd in open { _ = drain(fd) }
                    break
                }
            }
            var fds = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            if writer >= 0 { fds.append(pollfd(fd: writer, events: Int16(POLLOUT), revents: 0)) }
            // With a child to watch, wake now and then to look whether it has exited.
            guard poll(&fds, nfds_t(fds.count), pid == nil ? -1 : 50) >= 0 || errno == EINTR else { break }
            for entry in fds where entry.revents != 0 {
                if entry.fd == writer {
                    feed()
                } else if !drain(entry.fd) {
                    open.removeAll { $0 == entry.fd }
                }
            }
        }
        closeWriter()
        for fd in output.keys { close(fd) }
        return exitStatus
    }

    private mutating func feed() {
        let count = input.withUnsafeBytes { write(writer, $0.baseAddress! + written, $0.count - written) }
        if count > 0 { written += count }
        // EPIPE: the child ended without reading everything (the caller decides about SIGPIPE).
        if (count < 0 && errno != EAGAIN && errno != EINTR) || written == input.count { closeWriter() }
    }

    private mutating func closeWriter() {
        guard writer >= 0 else { return }
        close(writer)
        writer = -1
    }

    /// Reads what is there; false at the end of the output (or on a read error).
    private mutating func drain(_ fd: Int32) -> Bool {
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count > 0 { output[fd]! += buffer[0..<count]; continue }
            if count == 0 { return false }
            return errno == EINTR || errno == EAGAIN
        }
    }
}

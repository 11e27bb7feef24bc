import Glibc

/// A private directory for one test, removed with everything in it.
final class Scratch {
    let path: String

    init() {
        var template = Array("/tmp/hostsystem-test-XXXXXX".utf8CString)
        path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }

    deinit {
        _ = run("/bin/rm", "-rf", path)
    }

    /// The number of descriptors of this process open on `file`.
    static func openCount(_ file: String) -> Int {
        guard let stream = opendir("/proc/self/fd") else { return 0 }
        defer { closedir(stream) }
        var count = 0
        var target = [CChar](repeating: 0, count: 4096)
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            let length = readlink("/proc/self/fd/" + name, &target, target.count - 1)
            if length > 0, String(decoding: target[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self) == file { count += 1 }
        }
        return count
    }
}

/// Runs a command to its end; its exit status.
@discardableResult
func run(_ arguments: String...) -> Int32 {
    var pid: pid_t = 0
    let argv = arguments.map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    guard posix_spawn(&pid, arguments[0], nil, nil, argv, nil) == 0 else { return -1 }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    return (status >> 8) & 0xff
}

/// Whether another process gets the lock at `path` within two seconds of its release. Not at once:
/// every test runs in one process, and a child that another test spawns at that moment holds a copy
/// of each of our descriptors (and so the lock) until its exec closes them.
func becomesFree(_ path: String) -> Bool {
    for _ in 0..<200 {
        if run("/usr/bin/flock", "--nonblock", path, "/bin/true") == 0 { return true }
        usleep(10_000)
    }
    return false
}

import Glibc
import HostSystem

/// The few file operations the engine needs (lease store, attachment records), as thin wrappers over the system calls: no
/// Foundation (start-up time matters), EINTR retried, and every failure reported as `.io` naming the
/// operation, the path and the errno text, so an operator can act on the message alone.
enum FileSystem {
    static func ioError(_ operation: String, _ path: String, errno code: Int32) -> PontoonError {
        PontoonError(.io, "\(operation) \(path): \(String(cString: strerror(code)))")
    }

    /// Whether `path` exists as a directory; nil when it does not exist at all.
    static func isDirectory(_ path: String) throws -> Bool? {
        var info = stat()
        guard stat(path, &info) == 0 else {
            let code = errno
            if code == ENOENT || code == ENOTDIR { return nil }
            throw ioError("cannot inspect", path, errno: code)
        }
        return info.st_mode & S_IFMT == S_IFDIR
    }

    /// Whether files could be created in `path`, or, while it does not exist, in its nearest existing
    /// ancestor (a read-only file system answers EROFS here).
    static func isWritable(_ path: String) -> Bool {
        var candidate = path.isEmpty ? "." : path
        while access(candidate, F_OK) != 0 {
            guard let slash = candidate.lastIndex(of: "/") else { candidate = "."; break }
            candidate = slash == candidate.startIndex ? "/" : String(candidate[..<slash])
        }
        return access(candidate, W_OK | X_OK) == 0
    }

    /// `mkdir -p`: creates each missing component with `mode`.
    static func makeDirectories(_ path: String, mode: mode_t) throws {
        // Deepest first: the directory nearly always exists (one mkdir and one stat), where going
        // down from the root cost two calls per component on every use.
        if mkdir(path, mode) == 0 { return }
        var code = errno
        if code == ENOENT || code == ENOTDIR, let parent = parentDirectory(path) {
            // Something above is missing, or is a file: the parent's own attempt names it.
            try makeDirectories(parent, mode: mode)
            if mkdir(path, mode) == 0 { return }
            code = errno
        }
        // EEXIST may also be a file in the way: say so instead of failing later at open().
        guard code == EEXIST, try isDirectory(path) == true else {
            throw ioError("cannot create directory", path, errno: code == EEXIST ? ENOTDIR : code)
        }
    }

    /// `path` without its last component; nil for a single relative component or the root.
    private static func parentDirectory(_ path: String) -> String? {
        var trimmed = Substring(path)
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return nil }
        let parent = slash == trimmed.startIndex ? "/" : String(trimmed[..<slash])
        return parent == String(trimmed) ? nil : parent
    }

    /// Opens with EINTR retried; returns the errno instead of throwing so callers can treat
    /// ENOENT/EEXIST as answers rather than failures.
    static func open(_ path: String, _ flags: Int32, mode: mode_t = 0) -> Result<Int32, FileErrno> {
        while true {
            let fd = Glibc.open(path, flags | O_CLOEXEC, mode)
            if fd >= 0 { return .success(fd) }
            let code = errno
            if code != EINTR { return .failure(FileErrno(code: code)) }
        }
    }

    /// The whole file (at most `limit` bytes when one is given); nil when it does not exist, or when
    /// opening or reading fails with one of `absentOn` (e.g. EISDIR, ELOOP: "not a regular file we
    /// could own"). A symbolic link is followed only with `followLinks`. With `regularOnly`, anything
    /// but a regular file (a FIFO would block forever, a device never end) is `NotRegularFile`.
    static func readFile(_ path: String, limit: Int = .max, absentOn: [Int32] = [ENOENT], followLinks: Bool = false,
                         regularOnly: Bool = false) throws -> [UInt8]? {
        let fd: Int32
        // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
        let flags = O_RDONLY | (followLinks ? 0 : O_NOFOLLOW) | (regularOnly ? O_NONBLOCK : 0)
        switch open(path, flags) {
        case .success(let opened): fd = opened
        case .failure(let error) where absentOn.contains(error.code): return nil
        case .failure(let error): throw ioError("cannot open", path, errno: error.code)
        }
        defer { close(fd) }
        if regularOnly {
            var info = stat()
            guard fstat(fd, &info) == 0 else { throw ioError("cannot inspect", path, errno: errno) }
            guard info.st_mode & S_IFMT == S_IFREG else { throw NotRegularFile(path: path) }
        }
        do throws(SystemError) {
            return try KernelFile.readToEnd(fd, path: path, limit: limit)
        } catch {
            if absentOn.contains(error.code) { return nil }
            throw PontoonError(error)
        }
    }

    /// Writes all of `bytes` to `fd`.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws {
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if count < 0 {
                let code = errno
                if code == EINTR { continue }
                throw ioError("cannot write", path, errno: code)
            }
            offset += count
        }
    }

    /// Creates `path` only if it does not exist (O_EXCL: the atomic test-and-set the lease store is
    /// built on) and fills it; false when it already exists. A half-written file is removed.
    static func createExclusive(_ path: String, contents: [UInt8], mode: mode_t) throws -> Bool {
        let fd: Int32
        switch open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode: mode) {
        case .success(let opened): fd = opened
        case .failure(let error) where error.code == EEXIST: return false
        case .failure(let error): throw ioError("cannot create", path, errno: error.code)
        }
        do {
            try writeAll(fd, contents, path: path)
        } catch {
            close(fd)
            unlink(path)
            throw error
        }
        // Linux closes the descriptor even when close() fails; only a real I/O error matters here.
        if close(fd) != 0, case let code = errno, code != EINTR {
            unlink(path)
            throw ioError("cannot write", path, errno: code)
        }
        return true
    }

    /// Replaces the contents of `path`, creating it with `mode` if needed (what Go's os.WriteFile does).
    static func writeFile(_ path: String, contents: [UInt8], mode: mode_t) throws {
        let fd: Int32
        switch open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, mode: mode) {
        case .success(let opened): fd = opened
        case .failure(let error): throw ioError("cannot open", path, errno: error.code)
        }
        defer { close(fd) }
        try writeAll(fd, contents, path: path)
    }

    /// Temporary files of `writeAtomically` are `<name>.tmp.<pid of the writer>`.
    static let temporaryInfix = ".tmp."

    /// The writer's pid when `name` is a temporary file of `writeAtomically`.
    static func temporaryWriter(_ name: String) -> pid_t? {
        // Most names are not temporaries: a byte scan before any splitting (directories of
        // thousands of members are listed on every operation).
        let bytes = Array(name.utf8), infix = Array(temporaryInfix.utf8)
        guard bytes.count > infix.count,
              (0...(bytes.count - infix.count)).contains(where: { bytes[$0..<($0 + infix.count)].elementsEqual(infix) }) else { return nil }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count >= 3, parts[parts.count - 2] == "tmp", let last = parts.last else { return nil }
        return pid_t(last)
    }

    /// Replaces `path` through a temporary file and `rename`, so readers see the old or the new
    /// contents, never half of them. A writer killed in between leaves the temporary file: its
    /// owner's DEL and GC remove it (`temporaryWriter`).
    static func writeAtomically(_ path: String, contents: [UInt8], mode: mode_t) throws {
        let temporary = "\(path)\(temporaryInfix)\(getpid())"
        do {
            try writeFile(temporary, contents: contents, mode: mode)
        } catch {
            unlink(temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw ioError("cannot rename into", path, errno: code)
        }
    }

    /// Removes a file; false when it was already gone.
    @discardableResult
    static func remove(_ path: String) throws -> Bool {
        guard unlink(path) == 0 else {
            let code = errno
            if code == ENOENT { return false }
            throw ioError("cannot remove", path, errno: code)
        }
        return true
    }

    /// `rm -r` without following symbolic links; false when nothing was there.
    static func removeTree(_ path: String) throws -> Bool {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            let code = errno
            if code == ENOENT { return false }
            throw ioError("cannot inspect", path, errno: code)
        }
        guard info.st_mode & S_IFMT == S_IFDIR else { return try remove(path) }
        for name in try listDirectory(path) ?? [] { _ = try removeTree(path + "/" + name) }
        guard rmdir(path) == 0 || errno == ENOENT else { throw ioError("cannot remove", path, errno: errno) }
        return true
    }

    /// Names in a directory (without `.` and `..`); nil when the directory does not exist.
    static func listDirectory(_ path: String) throws -> [String]? {
        try listDirectoryEntries(path)?.map(\.name)
    }

    /// The names of a directory, handed to `visit` until it answers false (`Directory.scan`):
    /// true when every name was seen, false when `visit` stopped, nil without the directory.
    @discardableResult
    static func scanDirectory(_ path: String, _ visit: (String) -> Bool) throws(PontoonError) -> Bool? {
        do throws(SystemError) {
            return try Directory.scan(path) { name, _ in visit(name) }
        } catch {
            throw PontoonError(error)
        }
    }

    /// Names and inode numbers (getdents' d_ino: no stat per entry) in a directory, without `.`
    /// and `..`; nil when the directory does not exist.
    static func listDirectoryEntries(_ path: String) throws(PontoonError) -> [(name: String, inode: UInt64)]? {
        do throws(SystemError) {
            return try Directory.entries(path)
        } catch {
            throw PontoonError(error)
        }
    }
}

/// `FileSystem.readFile(regularOnly:)` found a directory, FIFO, socket or device.
struct NotRegularFile: Error {
    var path: String
}

/// An errno value carried through `Result` by `FileSystem.open`.
struct FileErrno: Error, Equatable {
    var code: Int32
}

/// A file a caller names as input (netavark's `--file`): links followed, regular files only.
public enum InputFile {
    public static func read(_ path: String) throws -> [UInt8]? {
        do {
            return try FileSystem.readFile(path, limit: 64 << 20, followLinks: true, regularOnly: true)
        } catch is NotRegularFile {
            throw PontoonError(.invalidConfiguration, "\(path) is not a regular file")
        }
    }
}

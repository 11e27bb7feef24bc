import Foundation

/// Who runs pontoonctl, when that is not root, and where its things go then. podman is rootless by
/// itself when a user runs it, so pontoonctl is too: this is the one place that decides it.
public struct RootlessEnvironment: Sendable {
    public var uid: UInt32
    public var gid: UInt32
    /// The login name from the password database, "" when the uid has none.
    public var user: String
    public var environment: [String: String]
    /// The password database's home, used when HOME is not set.
    public var passwdHome: String

    public init(uid: UInt32, gid: UInt32, user: String, environment: [String: String], passwdHome: String = "") {
        self.uid = uid
        self.gid = gid
        self.user = user
        self.environment = environment
        self.passwdHome = passwdHome
    }

    /// nil for root, whose defaults never change.
    public static func current() -> RootlessEnvironment? {
        let uid = geteuid()
        guard uid != 0 else { return nil }
        var user = "", home = ""
        if let entry = getpwuid(uid) {
            user = String(cString: entry.pointee.pw_name)
            home = String(cString: entry.pointee.pw_dir)
        }
        return RootlessEnvironment(uid: uid, gid: getegid(), user: user, environment: ProcessInfo.processInfo.environment,
                                   passwdHome: home)
    }

    /// The user's name for messages: the login name and the uid.
    var who: String { user.isEmpty ? "uid \(uid)" : "user \(user) (uid \(uid))" }

    // MARK: directories

    /// `$XDG_RUNTIME_DIR` as given, unchecked: `runtimeDirectory()` says whether it can be used.
    var runtimeDirectoryValue: String { environment["XDG_RUNTIME_DIR"] ?? "" }

    /// `$XDG_CONFIG_HOME`, else `$HOME/.config`, as the XDG base directory rules say (relative values are ignored).
    public var configHome: String {
        if let value = environment["XDG_CONFIG_HOME"], value.hasPrefix("/") { return value }
        let home = environment["HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil } ?? passwdHome
        return home + "/.config"
    }

    public var defaultStateDirectory: String { runtimeDirectoryValue + "/pontoon" }
    public var defaultNetnsDirectory: String { runtimeDirectoryValue + "/netns" }
    public var defaultConfigDirectory: String { configHome + "/pontoon/networks" }

    /// The runtime directory, once it is known to be a directory of this user's.
    public func runtimeDirectory() throws(CtlError) -> String {
        let path = runtimeDirectoryValue
        var info = stat()
        let found = path.hasPrefix("/") && stat(path, &info) == 0
        if let problem = Self.runtimeDirectoryProblem(path, owner: found ? info.st_uid : nil,
                                                      isDirectory: found && (info.st_mode & S_IFMT) == S_IFDIR, uid: uid) {
            throw problem
        }
        return path
    }

    /// Why `$XDG_RUNTIME_DIR` cannot hold a rootless user's state, or nil when it can.
    /// `owner` is nil when the path does not exist.
    public static func runtimeDirectoryProblem(_ path: String, owner: UInt32?, isDirectory: Bool, uid: UInt32) -> CtlError? {
        let fix = "set XDG_RUNTIME_DIR to a directory of yours with mode 0700, as logind makes /run/user/\(uid)"
        guard !path.isEmpty else {
            return CtlError(.usage, "XDG_RUNTIME_DIR is not set, and rootless pontoonctl keeps its state there: \(fix)")
        }
        guard path.hasPrefix("/") else { return CtlError(.usage, "XDG_RUNTIME_DIR \"\(path)\" is not an absolute path: \(fix)") }
        guard let owner else { return CtlError(.usage, "XDG_RUNTIME_DIR \(path) does not exist: \(fix)") }
        guard isDirectory else { return CtlError(.usage, "XDG_RUNTIME_DIR \(path) is not a directory: \(fix)") }
        guard owner == uid else {
            return CtlError(.usage, "XDG_RUNTIME_DIR \(path) belongs to uid \(owner), not to you (uid \(uid)): \(fix)")
        }
        return nil
    }

    /// An executable found in `$PATH` (or the usual directories when PATH is not set).
    func executable(_ name: String) -> String? {
        let path = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") where directory.hasPrefix("/") {
            let candidate = directory + "/" + name
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}

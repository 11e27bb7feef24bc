import Foundation

/// One line of `/etc/subuid` or `/etc/subgid`: the ids a user may map into its user namespace.
public struct SubordinateRange: Equatable, Sendable {
    public var start: UInt32
    public var count: UInt32

    /// The user's ranges in a subordinate id file (`name:start:count`, where the name may also be
    /// the uid, as shadow's tools accept it). Empty, malformed, comment and zero-length lines are skipped.
    public static func parse(_ text: String, user: String, uid: UInt32) -> [SubordinateRange] {
        text.split(separator: "\n").compactMap { line -> SubordinateRange? in
            let fields = line.split(separator: ":", omittingEmptySubsequences: false)
            guard fields.count == 3, !line.hasPrefix("#"),
                  (!user.isEmpty && fields[0] == user) || fields[0] == String(uid),
                  let start = UInt32(fields[1]), let count = UInt32(fields[2]), count > 0,
                  UInt64(start) + UInt64(count) <= UInt64(UInt32.max) + 1 else { return nil }
            return SubordinateRange(start: start, count: count)
        }
    }
}

/// What a rootless container needs from the host, found by `RootlessEnvironment.preflight()`.
public struct RootlessHost: Sendable {
    public var runtimeDirectory: String
    public var uidRanges: [SubordinateRange]
    public var gidRanges: [SubordinateRange]
    public var newuidmap: String
    public var newgidmap: String
    public var slirp4netns: String
    /// The pause process holding the rootless network namespace's user and mount namespaces.
    public var catatonit: String
}

extension RootlessEnvironment {
    public static let subuidFile = "/etc/subuid"
    public static let subgidFile = "/etc/subgid"
    public static let tunDevice = "/dev/net/tun"

    /// Every check a rootless container needs, before anything is made; the first failure is thrown
    /// as one line naming the problem and its fix.
    public func preflight(subuidFile: String = Self.subuidFile, subgidFile: String = Self.subgidFile,
                          tunDevice: String = Self.tunDevice) throws(CtlError) -> RootlessHost {
        let runtime = try runtimeDirectory()
        let uids = try ranges(subuidFile, kind: "uid")
        let gids = try ranges(subgidFile, kind: "gid")
        let newuidmap = try tool("newuidmap", package: "uidmap")
        let newgidmap = try tool("newgidmap", package: "uidmap")
        if let problem = Self.tunProblem(tunDevice, openError: Self.openError(tunDevice), uid: uid) { throw problem }
        let slirp = try tool("slirp4netns", package: "slirp4netns")
        let catatonit = try tool("catatonit", package: "catatonit")
        return RootlessHost(runtimeDirectory: runtime, uidRanges: uids, gidRanges: gids, newuidmap: newuidmap,
                            newgidmap: newgidmap, slirp4netns: slirp, catatonit: catatonit)
    }

    /// What joining the rootless netns or tearing down inside it needs: the runtime directory alone.
    /// Nothing is started then, so no subordinate range, tool or tun device is checked (`rm` works
    /// with slirp4netns uninstalled); the host it returns starts no pause process (no id range).
    public func teardownHost() throws(CtlError) -> RootlessHost {
        RootlessHost(runtimeDirectory: try runtimeDirectory(), uidRanges: [], gidRanges: [], newuidmap: "", newgidmap: "",
                     slirp4netns: "", catatonit: "")
    }

    private func ranges(_ file: String, kind: String) throws(CtlError) -> [SubordinateRange] {
        let text = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
        let found = SubordinateRange.parse(text, user: user, uid: uid)
        guard found.isEmpty else { return found }
        let name = user.isEmpty ? String(uid) : user
        throw CtlError(.usage, "no subordinate \(kind) range for \(who) in \(file): as root, "
                       + "usermod --add-sub\(kind)s 100000-165535 \(name) (a range no other user has)")
    }

    private func tool(_ name: String, package: String) throws(CtlError) -> String {
        guard let found = executable(name) else {
            throw CtlError(.usage, "\(name) is not in PATH (\(environment["PATH"] ?? "unset")): install Debian's \(package) package")
        }
        return found
    }

    /// The errno of opening the device read-write as this process, or nil when it opens.
    static func openError(_ device: String) -> Int32? {
        let fd = open(device, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { return errno }
        close(fd)
        return nil
    }

    /// Why slirp4netns could not open the tun device, or nil when it can.
    public static func tunProblem(_ device: String, openError: Int32?, uid: UInt32) -> CtlError? {
        switch openError {
        case nil: return nil
        case ENOENT?, ENODEV?, ENXIO?:
            return CtlError(.usage, "\(device) is missing, and slirp4netns needs it: as root, modprobe tun")
        case let code?:
            return CtlError(.usage, "\(device) cannot be opened by uid \(uid) (\(String(cString: strerror(code)))), and slirp4netns "
                            + "needs it: as root, chmod 0666 \(device) (Debian's default)")
        }
    }
}

import Foundation
import Netlink

/// Network namespaces as libpod makes them: an empty file `netns-<uuid>` in the netns directory
/// with a new namespace bind-mounted onto it, so it outlives every process.
public enum NamespaceFiles {
    public static func create(in directory: String) throws(CtlError) -> String {
        try Store.makeDirectory(directory)
        let path = directory + "/netns-" + UUID().uuidString.lowercased()
        let fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o444)
        guard fd >= 0 else { throw CtlError(.failed, "cannot create \(path): \(String(cString: strerror(errno)))") }
        close(fd)
        do {
            try NetworkNamespace.createPersistent(at: path)
        } catch {
            unlink(path)
            throw CtlError(.failed, "cannot create a network namespace at \(path): \(error)")
        }
        return path
    }

    /// A running process's namespace, bind-mounted from `/proc/PID/ns/net` onto a new file as
    /// libpod's `setupNetNS` does for a container whose process made its own. pontoonctl's own
    /// namespace (the host's) is refused: its plugins would configure the host.
    public static func adopt(pid: Int32, in directory: String) throws(CtlError) -> String {
        let source = "/proc/\(pid)/ns/net"
        var target = stat(), mine = stat()
        guard stat(source, &target) == 0 else {
            throw CtlError(.notFound, "process \(pid): cannot read \(source): \(String(cString: strerror(errno)))")
        }
        guard stat("/proc/self/ns/net", &mine) == 0, target.st_ino != mine.st_ino || target.st_dev != mine.st_dev else {
            throw CtlError(.usage, "process \(pid) is in pontoonctl's own network namespace: give a process with a network namespace of its own")
        }
        try Store.makeDirectory(directory)
        let path = directory + "/netns-" + UUID().uuidString.lowercased()
        let fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o444)
        guard fd >= 0 else { throw CtlError(.failed, "cannot create \(path): \(String(cString: strerror(errno)))") }
        close(fd)
        guard mount(source, path, "none", UInt(MS_BIND), nil) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(path)
            throw CtlError(.failed, "cannot bind-mount the network namespace of process \(pid) at \(path): \(reason)")
        }
        return path
    }

    /// `--network none`: loopback up, as podman leaves it (no plugin runs to do it).
    public static func loopbackUp(_ path: String) throws(CtlError) {
        do {
            let socket = try RouteSocket(in: try NetworkNamespace(path: path))
            guard let lo = try socket.link(named: "lo") else { throw CtlError(.failed, "no loopback interface in \(path)") }
            try socket.setLink(index: lo.index, up: true)
        } catch let error as CtlError {
            throw error
        } catch {
            throw CtlError(.failed, "cannot bring loopback up in \(path): \(error)")
        }
    }

    /// Unmount and remove; a namespace already gone is fine.
    public static func remove(_ path: String) throws(CtlError) {
        if umount2(path, Int32(MNT_DETACH)) != 0, errno != EINVAL, errno != ENOENT {
            throw CtlError(.failed, "cannot unmount network namespace \(path): \(String(cString: strerror(errno)))")
        }
        if unlink(path) != 0, errno != ENOENT {
            throw CtlError(.failed, "cannot remove \(path): \(String(cString: strerror(errno)))")
        }
    }
}

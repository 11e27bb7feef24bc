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

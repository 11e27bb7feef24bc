import Foundation
import HostSystem

/// pontoonctl's locks (a container's, the store's): exclusive, waited for as long as it takes, and
/// vanishing, because `rm` removes a container's lock file while holding it.
typealias FileLock = HostSystem.FileLock

extension HostSystem.FileLock {
    convenience init(_ path: String) throws(CtlError) {
        do throws(SystemError) {
            try self.init(path, mode: .exclusive, vanishing: true)
        } catch where error.operation == .open {
            throw CtlError(.failed, "cannot open lock \(path): \(error.reason)")
        } catch {
            throw CtlError(.failed, "cannot lock \(path): \(error.reason)")
        }
    }
}

/// One container name's lock. Its file lives only as long as the container does: let go while no
/// record has that name (a command for a name that does not exist, a create that failed, an `rm`),
/// the file is removed first, under the lock, so `locks/` never fills with names that never were.
/// Waiters on the removed file notice (the lock is vanishing) and take the next one.
struct ContainerLock {
    let lock: FileLock
    let recordPath: String

    func unlock() {
        if !FileManager.default.fileExists(atPath: recordPath) { lock.removeFile() }
        lock.unlock()
    }
}

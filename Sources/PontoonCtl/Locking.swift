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

import Foundation
import HostSystem

/// A daemon pontoonctl started and later stops by its pid (a slirp4netns, the port proxy). A pid is
/// reused once its process ended, so it is signalled only while /proc says it is still the one that
/// was started: alive, not a zombie, and `matches` (its command line or name).
struct ServiceProcess {
    let pid: Int32
    let matches: (_ pid: Int32) -> Bool

    var isRunning: Bool {
        guard let status = ProcessStatus.of(pid), !status.ended else { return false }
        return matches(pid)
    }

    /// Reaps it when it is our child (a failed start); otherwise watches for it to be gone.
    func exited(within milliseconds: Int) -> Bool {
        for _ in 0...(milliseconds / 10) {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid || !isRunning { return true }
            usleep(10_000)
        }
        return false
    }

    /// After `grace` ms of its own way out (slirp4netns' exit FIFO), SIGTERM, then SIGKILL if it
    /// lingers 2 s.
    func stop(grace milliseconds: Int = 0) {
        guard pid > 0 else { return }
        if milliseconds > 0, exited(within: milliseconds) { return }
        if isRunning { kill(pid, SIGTERM) }
        if !exited(within: 2_000), isRunning { kill(pid, SIGKILL); _ = exited(within: 1_000) }
    }
}

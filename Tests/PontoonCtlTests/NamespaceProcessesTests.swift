import Foundation
import Testing
@testable import PontoonCtl

@Suite("processes of a namespace")
struct NamespaceProcessesTests {
    @Test("pontoonctl's own namespace is never searched: its processes are the host's, not a container's (rm --force must not end them)")
    func ownNamespaceIsNotAContainers() {
        #expect(NamespaceProcesses.pids(in: "/proc/self/ns/net").isEmpty)
        #expect(NamespaceProcesses.pids(in: "/proc/\(getpid())/ns/net").isEmpty)
        #expect(NamespaceProcesses.pids(in: "").isEmpty)
    }
}

import Foundation
import Testing
import TestSupport

/// Integration tests need root to make namespaces; without it they are reported as skipped.
let needsRoot = Testing.ConditionTrait.enabled(if: PrivateHost.isRoot, "integration tests need root to create network namespaces")

/// What a test makes and must take down however it ends: namespaces, servers, scratch files.
protocol TestFixture: Sendable { func cleanup() }

extension PrivateHost: TestFixture {}

/// A fixture made for each test case and cleaned up after it however it ends (a failed `#require`
/// included): `@Test(.privateHost("label"))`, then `PrivateHost.scoped()` in the test. A trait
/// rather than a closure around the test's body: with Swift 6.3 an `#expect` holding a closure,
/// inside a closure, can make a later closure of that body run the wrong code.
struct FixtureScope: TestTrait, TestScoping {
    let make: @Sendable () throws -> any TestFixture
    @TaskLocal static var fixture: (any TestFixture)?

    func scopeProvider(for test: Test, testCase: Test.Case?) -> Self? { testCase == nil ? nil : self }

    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        let fixture = try make()
        defer { fixture.cleanup() }
        try await Self.$fixture.withValue(fixture, operation: function)
    }

    /// The running test's fixture, which the test's trait must have made as a `Fixture`.
    static func current<Fixture: TestFixture>(_ trait: String) throws -> Fixture {
        try #require(fixture as? Fixture, "the test has no \(trait) trait")
    }
}

extension Trait where Self == FixtureScope {
    /// A private host named after `label` (names are unique anyway: the label is for reading).
    static func privateHost(_ label: String) -> Self { FixtureScope { try PrivateHost(label) } }
}

extension PrivateHost {
    /// The private host `.privateHost(label)` made for the running test.
    static func scoped() throws -> PrivateHost { try FixtureScope.current(".privateHost") }

    /// The running test's private host and a container, `c`, in it.
    static func scopedWithContainer() throws -> (PrivateHost, String) {
        let host = try scoped()
        return (host, try host.container("c"))
    }
}

/// A pontoon network config for a test's private host: its own lease store and record directory.
func networkConfig(_ host: PrivateHost, version: String = "1.0.0", subnets: [String] = ["10.99.0.0/24"],
                   routes: [String] = ["0.0.0.0/0"], _ extra: [String: Any] = [:]) -> [String: Any] {
    var config: [String: Any] = [
        "cniVersion": version, "name": "itnet", "type": "pontoon", "bridge": "pt0", "isGateway": true,
        "ipam": ["type": "host-local", "dataDir": host.dataDir,
                 "ranges": subnets.map { [["subnet": $0]] },
                 "routes": routes.map { ["dst": $0] }] as [String: Any],
        "stateDir": host.stateDir,
    ]
    config.merge(extra) { _, new in new }
    return config
}

extension RunResult {
    /// The Result's addresses (`ips[].address`).
    var addresses: [String] {
        ((json as? [String: Any])?["ips"] as? [[String: Any]] ?? []).compactMap { $0["address"] as? String }
    }

    var interfaces: [[String: Any]] { (json as? [String: Any])?["interfaces"] as? [[String: Any]] ?? [] }

    var errorCode: Int? { (json as? [String: Any])?["code"] as? Int }
    var errorMessage: String { (json as? [String: Any])?["msg"] as? String ?? "" }
}

/// The bare address of a CIDR string.
func bare(_ cidr: String) -> String { String(cidr.split(separator: "/")[0]) }

extension PrivateHost {
    /// Link names in a namespace (iproute2 JSON).
    func linkNames(_ namespace: String) throws -> Set<String> {
        Set(try json(namespace, "ip -j link show").compactMap { $0["ifname"] as? String })
    }

    /// Lease files of the test network (everything but the lock and round-robin markers; pontoon's
    /// lease index only when no lease is left, where it must not be).
    func leases(network: String = "itnet") -> Set<String> {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dataDir + "/" + network)) ?? []
        return withoutLeaseIndex(Set(names.filter { $0 != "lock" && !$0.hasPrefix("last_reserved_ip.") }))
    }

    func records(network: String = "itnet") -> Set<String> {
        Set((try? FileManager.default.contentsOfDirectory(atPath: stateDir + "/" + network)) ?? [])
    }
}

extension PrivateHost {
    /// An ADD that must succeed; otherwise the test stops here, showing the plugin's answer.
    func attach(_ container: String, args: String? = nil, config: [String: Any]) throws -> RunResult {
        let add = try cni("ADD", container: container, args: args, config: config)
        try #require(add.status == 0, "ADD \(container): \(add.stdoutText)")
        return add
    }
}

/// A store's files without pontoon's lease index (`.pontoon-index`, no lease), unless it is all
/// that is left: the index goes with the store's last lease, so there it is a leftover.
func withoutLeaseIndex(_ names: Set<String>) -> Set<String> {
    let leases = names.filter { $0 != ".pontoon-index" }
    return leases.isEmpty ? names : leases
}

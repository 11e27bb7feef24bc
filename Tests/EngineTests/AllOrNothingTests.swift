import Foundation
@testable import Pontoon
import Testing

/// A container's networks are attached all or nothing, and detached each on its own.
@Suite("Engine: all or nothing")
struct AllOrNothingTests {
    @Test("a failing second network undoes the first: no record, no lease, its firewall state removed")
    func secondFails() throws {
        try EngineFixture.with { fixture in
            fixture.failing = ["beta"]
            let alphaLeases = FakeAllocator(subnet: 1)
            let requests = [fixture.request("c1", on: "alpha", ports: [EngineFixture.tcp8080], ipam: alphaLeases), fixture.request("c1", on: "beta")]
            #expect(throws: FakeDriver.Refused.self) { _ = try fixture.engine.attach(requests) }
            #expect(fixture.records.records(ofContainer: "c1", excluding: []).isEmpty)
            #expect(alphaLeases.leased.isEmpty)
            #expect(fixture.log.calls == [.add(kind: .nftables, network: "alpha", first: true, hostPorts: [8080]),
                                          .remove(kind: .nftables, network: "alpha", last: true, hostPorts: [8080])])
        }
    }

    @Test("the undo of a successful attach removes every network again, newest first")
    func undoAll() throws {
        try EngineFixture.with { fixture in
            let (results, undo) = try fixture.engine.attach([fixture.request("c1", on: "alpha"), fixture.request("c1", on: "beta")])
            #expect(results.count == 2)
            #expect(fixture.records.records(ofContainer: "c1", excluding: []).count == 2)
            undo()
            #expect(fixture.records.records(ofContainer: "c1", excluding: []).isEmpty)
            #expect(fixture.log.calls.suffix(2) == [.remove(kind: .nftables, network: "beta", last: true, hostPorts: []),
                                                    .remove(kind: .nftables, network: "alpha", last: true, hostPorts: [])])
        }
    }

    @Test("detach attempts every network even when one fails, and reports the first failure")
    func detachEach() throws {
        try EngineFixture.with { fixture in
            _ = try fixture.engine.attach([fixture.request("c1", on: "alpha"), fixture.request("c1", on: "beta"), fixture.request("c1", on: "gamma")])
            fixture.failing = ["beta"]
            #expect(throws: FakeDriver.Refused.self) {
                try fixture.engine.detach([fixture.request("c1", on: "alpha"), fixture.request("c1", on: "beta"), fixture.request("c1", on: "gamma")])
            }
            #expect(fixture.records.records(ofContainer: "c1", excluding: []).map(\.network) == ["beta"])
        }
    }

    @Test("a second DEL finds nothing and succeeds")
    func detachTwice() throws {
        try EngineFixture.with { fixture in
            _ = try fixture.engine.attach([fixture.request("c1", on: "alpha")])
            try fixture.engine.detach([fixture.request("c1", on: "alpha")])
            try fixture.engine.detach([fixture.request("c1", on: "alpha")])
            #expect(fixture.log.calls.count == 2)
        }
    }
}

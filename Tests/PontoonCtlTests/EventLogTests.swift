import Foundation
import Testing
@testable import PontoonCtl

@Suite("events: formatting and parsing")
struct EventLogTests {
    static let now = Date(timeIntervalSince1970: 1_780_000_000.25)

    @Test("times are RFC 3339 in UTC with nanoseconds, and read back the same")
    func times() throws {
        #expect(EventLog.formatTime(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000000000Z")
        #expect(EventLog.formatTime(Self.now) == "2026-05-28T20:26:40.250000000Z")
        let parsed = try #require(EventLog.parseTime("2026-05-28T20:26:40.250000000Z"))
        #expect(abs(parsed.timeIntervalSince(Self.now)) < 0.000_001)
        #expect(EventLog.parseTime("2026-05-28T22:26:40+02:00") == Date(timeIntervalSince1970: 1_780_000_000))
        #expect(EventLog.parseTime("2026-05-28T20:26:40.5Z") == Date(timeIntervalSince1970: 1_780_000_000.5))
        #expect(EventLog.parseTime("yesterday") == nil)
        #expect(EventLog.parseTime("2026-05-28T20:26:40.Z") == nil)
    }

    @Test("--since takes an RFC 3339 time, Unix seconds or a duration ago, and names what it cannot read", arguments: [
        ("2026-05-28T20:26:40Z", 1_780_000_000.0),
        ("1780000000", 1_780_000_000.0),
        ("1780000000.5", 1_780_000_000.5),
        ("10m", 1_780_000_000.25 - 600),
        ("1h30m", 1_780_000_000.25 - 5400),
        ("90s", 1_780_000_000.25 - 90),
        ("250ms", 1_780_000_000.0),
    ])
    func since(text: String, expected: Double) throws {
        let value = try EventLog.parseSince(text, now: Self.now)
        #expect(abs(value.timeIntervalSince1970 - expected) < 0.000_01, "\(text)")
    }

    @Test("--since refuses what it cannot read", arguments: ["", "-5", "10x", "m", "1h30", "10m5"])
    func badSince(text: String) {
        let error = #expect(throws: CtlError.self) { _ = try EventLog.parseSince(text, now: Self.now) }
        #expect(error?.kind == .usage && error?.description.contains("--since \"\(text)\"") == true)
    }

    @Test("a line is one JSON object with its type; lines read back in order, a cut line skipped; the human line names the network")
    func lines() throws {
        let start = Event(time: Self.now, action: .start, container: "web")
        let connect = Event(time: Self.now.addingTimeInterval(1), action: .connect, container: "web", network: "front")
        #expect(EventLog.line(start) == #"{"action":"start","container":"web","time":"2026-05-28T20:26:40.250000000Z","type":"container"}"#)
        #expect(EventLog.line(connect).contains(#""network":"front""#) && EventLog.line(connect).contains(#""type":"network""#))
        let text = EventLog.line(start) + "\n" + EventLog.line(connect) + "\n" + #"{"action":"sto"# + "\n"
        let read = EventLog.parse(text)
        #expect(read.map(\.action) == [.start, .connect] && read.map(\.container) == ["web", "web"] && read[1].network == "front")
        #expect(abs(read[0].time.timeIntervalSince(Self.now)) < 0.000_001)
        #expect(EventLog.describe(connect) == "2026-05-28T20:26:41.250000000Z network connect web (network=front)")
        #expect(EventLog.describe(start) == "2026-05-28T20:26:40.250000000Z container start web")
    }

    @Test("a pod's create and remove are pod events (type pod, key pod), read back as such; a container's stay container events")
    func podEvents() throws {
        let create = Event(time: Self.now, action: .create, container: "shop", isPod: true)
        #expect(EventLog.line(create) == #"{"action":"create","pod":"shop","time":"2026-05-28T20:26:40.250000000Z","type":"pod"}"#)
        #expect(EventLog.describe(create) == "2026-05-28T20:26:40.250000000Z pod create shop")
        let infra = Event(time: Self.now, action: .create, container: "shop-infra")
        let read = EventLog.parse(EventLog.line(create) + "\n" + EventLog.line(infra) + "\n")
        #expect(read == [create, infra] && read.map(\.type) == ["pod", "container"])
    }
}

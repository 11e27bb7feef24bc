import Foundation

/// What happened to a container, a pod, or between a container and a network, as podman's events
/// name it: container `create`, `start`, `stop`, `remove`; pod `create`, `remove`; network
/// `connect`, `disconnect`.
public struct Event: Codable, Sendable, Equatable {
    public enum Action: String, Codable, Sendable {
        case create, start, stop, remove, connect, disconnect

        /// podman's event type: `network` for connect and disconnect, `container` otherwise.
        public var type: String { self == .connect || self == .disconnect ? "network" : "container" }
    }

    public var time: Date
    public var action: Action
    /// The container's name, or the pod's for a pod event (JSON key `pod`).
    public var container: String
    public var network: String?
    /// Set for a pod's own create and remove (podman's event type `pod`); its infra container's
    /// start and stop are container events, as podman's.
    public var isPod: Bool

    /// podman's event type: `pod`, `network` for connect and disconnect, `container` otherwise.
    public var type: String { isPod ? "pod" : action.type }

    public init(time: Date, action: Action, container: String, network: String? = nil, isPod: Bool = false) {
        self.time = time
        self.action = action
        self.container = container
        self.network = network
        self.isPod = isPod
    }

    private enum CodingKeys: String, CodingKey { case time, type, action, container, pod, network }

    public init(from decoder: any Decoder) throws {
        let values = try decoder.container(keyedBy: CodingKeys.self)
        let text = try values.decode(String.self, forKey: .time)
        guard let time = EventLog.parseTime(text) else {
            throw DecodingError.dataCorruptedError(forKey: .time, in: values, debugDescription: "not an RFC 3339 time: \(text)")
        }
        self.time = time
        action = try values.decode(Action.self, forKey: .action)
        isPod = try values.decodeIfPresent(String.self, forKey: .type) == "pod"
        container = try values.decode(String.self, forKey: isPod ? .pod : .container)
        network = try values.decodeIfPresent(String.self, forKey: .network)
    }

    public func encode(to encoder: any Encoder) throws {
        var values = encoder.container(keyedBy: CodingKeys.self)
        try values.encode(EventLog.formatTime(time), forKey: .time)
        try values.encode(type, forKey: .type)
        try values.encode(action, forKey: .action)
        try values.encode(container, forKey: isPod ? .pod : .container)
        try values.encodeIfPresent(network, forKey: .network)
    }
}

/// `<state dir>/events.log`: one JSON object a line, appended under `<locks>/events`, so that
/// concurrent commands never interleave half lines. The formatting and parsing here are pure.
public enum EventLog {
    public static func path(_ paths: ControlPaths) -> String { paths.stateDirectory + "/events.log" }

    /// RFC 3339 in UTC with nanoseconds, as podman prints an event's time (the fraction keeps the
    /// order of events within one second for `--since`).
    public static func formatTime(_ time: Date) -> String {
        let seconds = time.timeIntervalSince1970.rounded(.down)
        let nanos = min(999_999_999, Int(((time.timeIntervalSince1970 - seconds) * 1_000_000_000).rounded()))
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss"
        let fraction = String(nanos)
        return formatter.string(from: Date(timeIntervalSince1970: seconds)) + "."
            + String(repeating: "0", count: 9 - fraction.count) + fraction + "Z"
    }

    /// RFC 3339 with or without a fraction (any number of digits), `Z` or an offset.
    public static func parseTime(_ text: String) -> Date? {
        var main = text, fraction = 0.0
        if let dot = text.firstIndex(of: ".") {
            let digits = text[text.index(after: dot)...].prefix { $0.isNumber }
            guard !digits.isEmpty, let value = Double("0." + digits) else { return nil }
            fraction = value
            main = String(text[..<dot]) + String(text[text.index(after: dot)...].dropFirst(digits.count))
        }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        guard let whole = formatter.date(from: main) else { return nil }
        return whole.addingTimeInterval(fraction)
    }

    /// podman's `--since`: an RFC 3339 time, Unix seconds (a fraction allowed), or a duration
    /// before `now` (`90s`, `10m`, `1h30m`).
    public static func parseSince(_ text: String, now: Date) throws(CtlError) -> Date {
        if let time = parseTime(text) { return time }
        if let seconds = Double(text), seconds >= 0 { return Date(timeIntervalSince1970: seconds) }
        if let duration = parseDuration(text) { return now.addingTimeInterval(-duration) }
        throw CtlError(.usage, "--since \"\(text)\" is neither an RFC 3339 time, Unix seconds nor a duration like 10m or 1h30m")
    }

    /// Go's duration spelling, as far as podman users write it: numbers with h, m, s or ms.
    static func parseDuration(_ text: String) -> TimeInterval? {
        let units: [(String, Double)] = [("ms", 0.001), ("h", 3600), ("m", 60), ("s", 1)]
        var rest = Substring(text), total = 0.0
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty, let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            guard let (unit, scale) = units.first(where: { rest.hasPrefix($0.0) }) else { return nil }
            rest = rest.dropFirst(unit.count)
            total += value * scale
        }
        return total
    }

    /// One line of the log.
    public static func line(_ event: Event) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(event)) ?? Data(), as: UTF8.self)
    }

    /// The log's events, oldest first; a line that is not an event (a write cut short) is skipped.
    public static func parse(_ text: String) -> [Event] {
        text.split(separator: "\n").compactMap { try? JSONDecoder().decode(Event.self, from: Data($0.utf8)) }
    }

    /// What podman's `events` prints a line: time, type, action, then the container (or pod) and network.
    public static func describe(_ event: Event) -> String {
        var text = "\(formatTime(event.time)) \(event.type) \(event.action.rawValue) \(event.container)"
        if let network = event.network { text += " (network=\(network))" }
        return text
    }

    /// Appends under the log's lock.
    static func append(_ event: Event, paths: ControlPaths) throws(CtlError) {
        try Store.makeDirectory(paths.locksDirectory)
        let lock = try FileLock(paths.locksDirectory + "/events")
        defer { lock.unlock() }
        let path = path(paths)
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw CtlError(.failed, "cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let bytes = Array((line(event) + "\n").utf8)
        guard bytes.withUnsafeBytes({ Glibc.write(fd, $0.baseAddress, $0.count) }) == bytes.count else {
            throw CtlError(.failed, "cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// The events at or after `since`, oldest first.
    public static func read(paths: ControlPaths, since: Date? = nil) throws(CtlError) -> [Event] {
        guard let data = FileManager.default.contents(atPath: path(paths)) else { return [] }
        let events = parse(String(decoding: data, as: UTF8.self))
        guard let since else { return events }
        return events.filter { $0.time >= since }
    }
}

extension ContainerOperations {
    /// An event that cannot be written is a warning: what it records has happened.
    func event(_ action: Event.Action, name: String, network: String? = nil, isPod: Bool = false) {
        do throws(CtlError) {
            try EventLog.append(Event(time: Date(), action: action, container: name, network: network, isPod: isPod), paths: store.paths)
        } catch {
            warn("event \(action.rawValue) of \(isPod ? "pod " : "")\(name) not recorded: \(error)")
        }
    }

    /// A pod's own create and remove (podman's `pod create`, `pod remove`).
    func podEvent(_ action: Event.Action, _ pod: String) { event(action, name: pod, isPod: true) }

    func event(_ action: Event.Action, _ record: ContainerRecord, network: String? = nil) {
        event(action, name: record.name, network: network)
    }

    public func events(since: Date? = nil) throws(CtlError) -> [Event] { try EventLog.read(paths: store.paths, since: since) }
}

import Foundation
import PontoonCtl

/// An event as `events --format json` (and its templates) show it: podman's keys — `Name` the
/// container, `Network`, `Status` what happened, `Time`, `Type` — one object a line, as podman
/// prints them. (The log keeps its own lines; see EventLog.)
struct ReportedEvent: Encodable {
    let event: Event

    enum CodingKeys: String, CodingKey { case Name, Network, Status, Time, `Type` }

    func encode(to encoder: any Encoder) throws {
        var values = encoder.container(keyedBy: CodingKeys.self)
        try values.encode(event.container, forKey: .Name)
        try values.encodeIfPresent(event.network, forKey: .Network)
        try values.encode(event.action.rawValue, forKey: .Status)
        try values.encode(EventLog.formatTime(event.time), forKey: .Time)
        try values.encode(event.type, forKey: .Type)   // pod for a pod's create and remove
    }

    /// One compact line, keys sorted.
    var line: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
    }
}

import Foundation

/// A uniquely named directory under /tmp, removed by `remove()` (call it in a `defer`).
public struct TemporaryDirectory: Sendable {
    public let path: String

    public init(_ label: String = "pontoon-test") throws {
        let template = "/tmp/\(label)-XXXXXX"
        var bytes = Array(template.utf8CString)
        guard let made = mkdtemp(&bytes) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: template])
        }
        path = String(cString: made)
    }

    public func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }

    public func file(_ name: String) -> String { path + "/" + name }
}

import Foundation

/// A golden file: env + stdin → expected stdout and exit status, for one or more steps run in order
/// against the same temporary store. See testdata/README.md for the format.
public struct GoldenCase: Sendable, CustomStringConvertible {
    public let name: String
    public let path: String

    public var description: String { name }

    /// Every `*.json` under `testdata/<group>`, sorted, as test arguments.
    public static func all(in group: String) -> [GoldenCase] {
        let root = Repository.testdata + "/" + group
        guard let enumerator = FileManager.default.enumerator(atPath: root) else { return [] }
        return enumerator.compactMap { $0 as? String }
            .filter { $0.hasSuffix(".json") }
            .sorted()
            .map { GoldenCase(name: group + "/" + $0.replacingOccurrences(of: ".json", with: ""), path: root + "/" + $0) }
    }

    public func load() throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw GoldenError("\(name): not a JSON object")
        }
        return object
    }
}

public struct GoldenError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

public enum Repository {
    /// The package root, found from this source file's location.
    public static var root: String {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }

    public static var testdata: String { root + "/testdata" }
}

import Foundation

/// What podman really sent netavark (`testdata/podman/podman-netavark-*.json`): every setup and
/// teardown stdin of the captures, the starting points of the netavark fuzz.
enum NetavarkCaptures {
    /// Workers run from a copy of the driver in the sandbox, where the checkout may be hidden: the
    /// parent hands them the captures in this variable, one `<label>\t<stdin JSON>` per line.
    static let variable = "PONTOON_NETAVARK_CAPTURES"

    static func load() -> [(String, JSON)] {
        if let given = ProcessInfo.processInfo.environment[variable] {
            return given.split(separator: "\n").compactMap { line in
                let parts = line.split(separator: "\t", maxSplits: 1)
                guard parts.count == 2, let value = try? JSONSerialization.jsonObject(with: Data(parts[1].utf8)) else { return nil }
                return (String(parts[0]), JSON(capture: value))
            }
        }
        return read()
    }

    /// The captures as the variable carries them.
    static func encoded() -> String {
        read().map { "\($0.0)\t\(String(decoding: $0.1.bytes, as: UTF8.self))" }.joined(separator: "\n")
    }

    private static func read() -> [(String, JSON)] {
        guard let directory = locate() else { return [] }
        var found: [(String, JSON)] = []
        for file in ["podman-netavark-setup.json", "podman-netavark-teardown.json", "podman-netavark-multi-dns.json"] {
            guard let data = FileManager.default.contents(atPath: directory + "/" + file),
                  let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { continue }
            if let stdin = object["stdin"] { found.append((file, JSON(capture: stdin))) }
            for (step, value) in object.sorted(by: { $0.key < $1.key }) {
                if let stdin = (value as? [String: Any])?["stdin"] { found.append(("\(file) \(step)", JSON(capture: stdin))) }
            }
        }
        return found
    }

    /// `testdata/podman` of the repository the driver was built in (it lives in `.build/<config>/`).
    private static func locate() -> String? {
        if let given = ProcessInfo.processInfo.environment["PONTOON_TESTDATA"] { return given + "/podman" }
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var directory = (executable as NSString).deletingLastPathComponent
        while directory.count > 1 {
            let candidate = directory + "/testdata/podman"
            if FileManager.default.fileExists(atPath: candidate + "/podman-netavark-setup.json") { return candidate }
            directory = (directory as NSString).deletingLastPathComponent
        }
        return nil
    }
}

extension JSON {
    /// A capture's value as a tree; booleans stay booleans (JSONSerialization hands them out as NSNumber).
    init(capture value: Any) {
        switch value {
        case let text as String: self = .string(text)
        case let array as [Any]: self = .array(array.map(JSON.init(capture:)))
        case let object as [String: Any]: self = .object(object.sorted { $0.key < $1.key }.map { ($0.key, JSON(capture: $0.value)) })
        case let number as NSNumber:
            if String(cString: number.objCType) == "c" { self = .bool(number.boolValue) } else { self = .number(number.stringValue) }
        default: self = .null
        }
    }

    /// The tree with the member at a path of object keys changed (`nil` from `change` removes it;
    /// a missing member is added). Duplicated keys: the last one is changed.
    func updating(_ keys: [String], _ change: (JSON?) -> JSON?) -> JSON {
        guard let key = keys.first, case .object(var members) = self else { return self }
        let index = members.lastIndex { $0.0 == key }
        let current = index.map { members[$0].1 }
        let replacement = keys.count == 1 ? change(current) : (current ?? .object([])).updating(Array(keys.dropFirst()), change)
        switch (index, replacement) {
        case (let i?, let value?): members[i].1 = value
        case (let i?, nil): members.remove(at: i)
        case (nil, let value?): members.append((key, value))
        case (nil, nil): break
        }
        return .object(members)
    }

    func setting(_ keys: [String], _ value: JSON?) -> JSON { updating(keys) { _ in value } }

    var keys: [String] { if case .object(let members) = self { members.map(\.0) } else { [] } }
}

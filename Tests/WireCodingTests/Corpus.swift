import Foundation
import TestSupport

/// The documents the differential test reads: every file of testdata (goldens, podman's captures,
/// results) and every object, array and string inside them as a document of its own, podman's
/// captures as stored in /work/shared/reference when present, and the fault tier's fuzz inputs.
enum Corpus {
    struct Document: Sendable {
        var label: String
        var bytes: [UInt8]
    }

    static func repository() throws -> [Document] {
        var documents: [Document] = []
        for root in [Repository.testdata, "/work/shared/reference"] where FileManager.default.fileExists(atPath: root) {
            let files = FileManager.default.enumerator(atPath: root)?.compactMap { $0 as? String }.sorted() ?? []
            for file in files {
                guard let data = FileManager.default.contents(atPath: root + "/" + file) else { continue }
                documents.append(Document(label: file, bytes: Array(data)))
                guard let object = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else { continue }
                collect(object, label: file, into: &documents)
            }
        }
        return documents
    }

    /// Each nested value as the golden runner sends it (`stdin` objects) and each string as is (`stdinText`).
    private static func collect(_ value: Any, label: String, into documents: inout [Document]) {
        switch value {
        case let object as [String: Any]:
            for (key, member) in object.sorted(by: { $0.key < $1.key }) { collect(member, label: label + "." + key, into: &documents) }
        case let array as [Any]:
            for (index, element) in array.enumerated() { collect(element, label: label + "[\(index)]", into: &documents) }
        case let text as String:
            documents.append(Document(label: label, bytes: Array(text.utf8)))
            return
        default:
            return
        }
        for options: JSONSerialization.WritingOptions in [[.withoutEscapingSlashes], [.sortedKeys, .prettyPrinted]] {
            if let data = try? JSONSerialization.data(withJSONObject: value, options: options) {
                documents.append(Document(label: label, bytes: Array(data)))
            }
        }
    }

    /// `count` of the fuzz's inputs for `door` from `seed`, as `pontoon-faults corpus` writes them.
    static func fuzz(door: String, seed: UInt64, count: Int) throws -> [Document] {
        let run = try TestRun.run(Binaries.directory + "/pontoon-faults",
                                  ["corpus", "--door", door, "--seed", String(seed, radix: 16), "--inputs", "\(count)"])
        let bytes = Array(run.stdout)
        var documents: [Document] = []
        var index = 0
        while index + 4 <= bytes.count {
            let length = Int(bytes[index]) << 24 | Int(bytes[index + 1]) << 16 | Int(bytes[index + 2]) << 8 | Int(bytes[index + 3])
            index += 4
            guard index + length <= bytes.count else { break }
            documents.append(Document(label: "\(door) fuzz seed \(String(seed, radix: 16)) document \(documents.count)",
                                      bytes: Array(bytes[index..<index + length])))
            index += length
        }
        return documents
    }
}

import Foundation
import Testing
import WireCoding

/// The plugin's own JSON reader and writer against the Foundation coding it replaced: over every
/// document of the corpus and every way a door reads one, the same accept or reject, the same
/// value (its canonical text and its encoding), the same error message, and the same bytes written.
@Suite("JSON differential")
struct DifferentialTests {
    /// Runs every probe on every document; returns the disagreements, described.
    static func disagreements(_ documents: [Corpus.Document]) -> (count: Int, checks: Int, accepted: Int, report: [String]) {
        var report: [String] = []
        var count = 0, checks = 0, accepted = 0
        for document in documents {
            for probe in Probe.all {
                let (old, new, writers) = probe.run(document.bytes)
                checks += 1
                if old.hasPrefix("value") { accepted += 1 }
                var problem: String?
                if old != new {
                    problem = "read differently\n    old: \(old.prefix(400))\n    new: \(new.prefix(400))"
                } else if let writers, writers.old != writers.new {
                    problem = "written differently\n    old: \(String(decoding: writers.old.prefix(400), as: UTF8.self))\n    new: \(String(decoding: writers.new.prefix(400), as: UTF8.self))"
                }
                guard let problem else { continue }
                count += 1
                if report.count < 12 {
                    let input = String(decoding: document.bytes.prefix(300), as: UTF8.self).debugDescription
                    report.append("\(document.label) as \(probe.name): \(problem)\n    input: \(input)")
                }
            }
        }
        return (count, checks, accepted, report)
    }

    private func check(_ documents: [Corpus.Document], minimum: Int) {
        #expect(documents.count >= minimum, "only \(documents.count) documents")
        let result = Self.disagreements(documents)
        print("JSON differential: \(documents.count) documents, \(result.checks) decodes, \(result.accepted) accepted, \(result.count) disagreements")
        let report = result.report.joined(separator: "\n")
        #expect(result.count == 0, "\(result.count) disagreements:\n\(report)")
        // Both kinds of outcome must be exercised, or the comparison proves little.
        #expect(result.accepted > 0 && result.accepted < result.checks)
    }

    @Test("goldens, testdata and podman's captures, and every value inside them")
    func repository() throws {
        check(try Corpus.repository(), minimum: 1_000)
    }

    @Test("the CNI fuzz's inputs", arguments: [0x5EED_0000_CAFE, 0x1234_5678] as [UInt64])
    func cniFuzz(seed: UInt64) throws {
        check(try Corpus.fuzz(door: "cni", seed: seed, count: 3_000), minimum: 3_000)
    }

    @Test("the netavark fuzz's inputs", arguments: [0x5EED_0000_0AAF, 0x8765_4321] as [UInt64])
    func netavarkFuzz(seed: UInt64) throws {
        check(try Corpus.fuzz(door: "netavark", seed: seed, count: 1_500), minimum: 1_500)
    }

    @Test("the engine's records and every one-field change of them")
    func engineRecords() {
        check(EngineRecords.documents, minimum: 500)
    }

    @Test("corner cases of the old reader: laziness, encodings, numbers, strings, nesting")
    func cornerCases() {
        check(CornerCases.documents, minimum: 100)
    }
}

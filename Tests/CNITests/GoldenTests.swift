import Foundation
import Testing
import TestSupport

/// Runs every golden file under testdata/cni and testdata/ipam against the built `pontoon` binary,
/// exactly as a runtime would: environment, stdin, stdout, exit status. No root needed.
@Suite("Golden files")
struct GoldenTests {
    @Test("CNI plugin", arguments: GoldenCase.all(in: "cni"))
    func cniPlugin(_ golden: GoldenCase) throws {
        try GoldenRunner(golden).run()
    }

    @Test("host-local IPAM", arguments: GoldenCase.all(in: "ipam"))
    func hostLocal(_ golden: GoldenCase) throws {
        try GoldenRunner(golden).run()
    }

    @Test("every group has cases")
    func groupsAreNotEmpty() {
        #expect(GoldenCase.all(in: "cni").count >= 30)
        #expect(GoldenCase.all(in: "ipam").count >= 5)
    }
}

/// Interprets one golden file; placeholders `$DATADIR` and `$STATEDIR` become fresh temp
/// paths, `$TESTDATA` the testdata folder.
struct GoldenRunner {
    let golden: GoldenCase

    init(_ golden: GoldenCase) { self.golden = golden }

    func run() throws {
        let spec = try golden.load()
        let scratch = try TemporaryDirectory("pontoon-golden")
        defer { scratch.remove() }
        let dataDir = scratch.file("store")
        let stateDir = scratch.file("state")
        let substitutions = ["$DATADIR": dataDir, "$STATEDIR": stateDir, "$TESTDATA": Repository.testdata]
        let steps = (spec["steps"] as? [[String: Any]]) ?? [spec]
        for (index, step) in steps.enumerated() {
            let label = "\(golden.name) step \(index + 1)"
            // `plugin` on a step (or the case): run the binary under that name.
            let binary: String
            switch step["plugin"] as? String ?? spec["plugin"] as? String ?? "pontoon" {
            case "host-local": binary = try Binaries.hostLocalLink(in: scratch.path)
            default: binary = Binaries.pontoon
            }
            let env = (substitute(step["env"] ?? [:], substitutions) as? [String: String]) ?? [:]
            let stdin: Data
            if let text = step["stdinText"] as? String {
                stdin = Data(text.utf8)
            } else if let object = step["stdin"] {
                stdin = try JSONSerialization.data(withJSONObject: substitute(object, substitutions), options: [.withoutEscapingSlashes])
            } else {
                stdin = Data()
            }
            let result = try TestRun.run(binary, environment: env, stdin: stdin)
            #expect(result.stderr.isEmpty, "\(label): stderr must stay silent, got \(result.stderrText)")
            let expectedExit = (step["exit"] as? Int) ?? 0
            #expect(Int(result.status) == expectedExit, "\(label): exit \(result.status), stdout \(result.stdoutText)")
            if let expected = step["stdout"] {
                let wanted = substitute(expected, substitutions)
                let actual = try? JSONCompare.parse(result.stdout)
                #expect(actual.map { JSONCompare.equal($0, wanted) } ?? false,
                        "\(label):\n  expected \(JSONCompare.canonical(wanted))\n  actual   \(result.stdoutText)")
            } else if let code = step["code"] as? Int {
                // Errors whose message embeds text we do not own (a JSON parser's) pin the code only.
                let actual = result.json as? [String: Any]
                #expect(actual?["code"] as? Int == code, "\(label): expected code \(code), got \(result.stdoutText)")
                #expect(actual?["cniVersion"] is String, "\(label): error without cniVersion")
            } else {
                #expect(result.stdout.isEmpty, "\(label): expected no output, got \(result.stdoutText)")
            }
            if let fragment = step["msgContains"] as? String {
                let message = (result.json as? [String: Any])?["msg"] as? String ?? ""
                #expect(message.contains(fragment), "\(label): message should mention \(fragment): \(result.stdoutText)")
            }
        }
        try checkStore(spec, dataDir: dataDir)
    }

    /// `"store"`: exact lease-store files (besides `lock`) of the network; `"storeAbsent": true`:
    /// the data dir must not exist (a rejected request writes nothing).
    private func checkStore(_ spec: [String: Any], dataDir: String) throws {
        if spec["storeAbsent"] as? Bool == true {
            #expect(!FileManager.default.fileExists(atPath: dataDir), "\(golden.name): the store was written to")
        }
        guard let expected = spec["store"] as? [String: String], let network = spec["network"] as? String else { return }
        let directory = dataDir + "/" + network
        var names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0 != "lock" }
        // Pontoon's lease index is no lease: ignored while leases exist (it must go with the last).
        if names.contains(where: { $0 != ".pontoon-index" && !$0.hasPrefix("last_reserved_ip.") }) {
            names.removeAll { $0 == ".pontoon-index" }
        }
        var actual: [String: String] = [:]
        for name in names {
            actual[name] = (try? String(contentsOfFile: directory + "/" + name, encoding: .utf8)) ?? "<unreadable>"
        }
        #expect(actual == expected, "\(golden.name): store differs")
    }

    private func substitute(_ value: Any, _ table: [String: String]) -> Any {
        JSONCompare.mapStrings(value) { text in
            table.reduce(text) { $0.replacingOccurrences(of: $1.key, with: $1.value) }
        }
    }
}

import Foundation
import Testing
import TestSupport

/// The README's examples run as written: every ```sh block marked `<!-- tested: readme-examples -->`
/// (ReadmeExamples), line by line in one bash inside a private host, `pontoonctl` being this build's
/// with the test's scratch state, config and namespace directories. Only build and install steps
/// (`swift build`, `scripts/…`) are skipped; every other line runs (curl, kill too), and the first
/// that fails fails the test, named with its README line number. Effects are real: a ping that gets
/// no answer or a curl that gets no page exits non-zero.
@Suite("README examples", needsRoot, .serialized)
struct ReadmeExamplesTests {
    @Test("the marked blocks are there: the quick start and the pontoonctl section")
    func marked() throws {
        let sections = try ReadmeExamples.blocks().map(\.section)
        #expect(sections.contains("Quick start"))
        #expect(sections.contains("pontoonctl"))
    }

    @Test("a README block runs as written", arguments: ["Quick start", "pontoonctl"])
    func runs(section: String) throws {
        let block = try #require(try ReadmeExamples.blocks().first { $0.section == section }, "no marked block under ## \(section)")
        let lines = block.lines.filter { !$0.isBuildStep }
        // Not vacuous: the block drives pontoonctl and claims traffic by name.
        #expect(lines.filter { $0.text.hasPrefix("pontoonctl ") }.count >= 4, "\(block.lines)")
        #expect(lines.contains { $0.text.contains("ping") })

        let ctl = try Ctl("readme")
        defer { ctl.cleanup() }
        let pontoonctl = Binaries.directory + "/pontoonctl"
        let prelude = """
            cd \(ReadmeExamples.shellQuoted(Repository.root))
            pontoonctl() {
                \(ReadmeExamples.shellQuoted(pontoonctl)) --state-dir \(ReadmeExamples.shellQuoted(ctl.state)) \\
                    --config-dir \(ReadmeExamples.shellQuoted(ctl.config)) --netns-dir \(ReadmeExamples.shellQuoted(ctl.netnsDir)) "$@"
            }
            """
        let script = ReadmeExamples.script(lines, prelude: prelude)
        let result = try TestRun.run("/usr/bin/timeout", ["-k", "5", "300", "/usr/bin/nsenter", "--net=" + PrivateHost.path(ctl.host.name),
                                                          "/bin/bash", "-c", script],
                                     environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": ctl.host.scratch.path])
        let failed = ReadmeExamples.failedLine(result.stderrText) ?? "exit \(result.status), no README line named"
        let report = "\(failed)\n--- stdout\n\(result.stdoutText.suffix(3000))\n--- stderr\n\(result.stderrText.suffix(3000))"
        #expect(result.status == 0, "\(report)")
        if section == "Quick start" {
            // The page fetched through the published port is the conflist web served.
            let served = try String(contentsOfFile: Repository.root + "/conf/10-pontoon.conflist", encoding: .utf8)
            #expect(result.stdoutText.contains(served), "curl through 127.0.0.1:8080 did not print conf/10-pontoon.conflist")
        }
        // Each block ends by removing what it made.
        #expect(ctl.leftovers() == [])
    }
}

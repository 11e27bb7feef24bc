import NetavarkDoor
import Testing

/// `netavark --version`: podman runs it for `podman info` (containers/common's ProgramVersion) and
/// reports a failure; it is one line of text, not the JSON of the `version` verb.
@Suite("netavark --version")
struct ProgramVersionTests {
    @Test("--version and -V, alone or after global options, answer one line naming pontoon, exit 0",
          arguments: [["--version"], ["-V"], ["--config", "/run/x", "--version"], ["--rootless=true", "-V"]])
    func versionLine(_ arguments: [String]) throws {
        #expect(try NetavarkCommandLine(parsing: arguments).verb == .programVersion)
        let answer = NetavarkInvocation.answer(arguments: arguments, environment: [:], readInput: { [] })
        let text = String(decoding: answer.output, as: UTF8.self)
        #expect(answer.status == 0)
        #expect(text == "pontoon \(NetavarkInvocation.version)\n")
    }

    @Test("the version verb still answers netavark's JSON")
    func verbUnchanged() throws {
        let answer = NetavarkInvocation.answer(arguments: ["version"], environment: [:], readInput: { [] })
        let text = String(decoding: answer.output, as: UTF8.self)
        #expect(answer.status == 0)
        #expect(text.hasPrefix("{") && text.contains("\"version\":\"\(NetavarkInvocation.version)\""))
    }
}

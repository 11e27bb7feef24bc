/// netavark's command line. Served by a later release; until then every call fails cleanly with
/// netavark's error document, so podman reports a clear message instead of misreading output.
struct NetavarkDoor {
    let arguments: [String]

    func run() -> ProcessIO.Answer {
        let message = "pontoon: netavark mode (\(arguments.joined(separator: " "))) is not implemented yet; use the CNI interface (set CNI_COMMAND)"
        let escaped = message.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return ProcessIO.Answer(output: Array("{\"error\":\"\(escaped)\"}\n".utf8), status: 1)
    }
}

private extension String {
    func replacingOccurrences(of target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}

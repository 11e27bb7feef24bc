import FoundationEssentials

/// netavark's command line. Served by a later release; until then every call fails cleanly with
/// netavark's error document, so podman reports a clear message instead of misreading output.
struct NetavarkDoor {
    let arguments: [String]

    struct ErrorDocument: Encodable {
        var error: String
    }

    func run() -> ProcessIO.Answer {
        let document = ErrorDocument(error: "pontoon: netavark mode (\(arguments.joined(separator: " "))) is not implemented yet; use the CNI interface (set CNI_COMMAND)")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let bytes = (try? encoder.encode(document)).map(Array.init) ?? Array(#"{"error":"pontoon: netavark mode is not implemented yet"}"#.utf8)
        return ProcessIO.Answer(output: bytes + [0x0a], status: 1)
    }
}

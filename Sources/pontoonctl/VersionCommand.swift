import ArgumentParser
import Foundation

/// pontoonctl's version and what it follows, as `podman version` reports a client.
enum PontoonCtlVersion {
    static let number = "0.1.0"
    /// The podman release whose behaviour and output pontoonctl follows (and which the tests run beside it).
    static let podmanAPI = "4.3.1"

    struct Client: Encodable {
        var Version = PontoonCtlVersion.number
        var APIVersion = PontoonCtlVersion.podmanAPI
        var Os = "linux"
        var OsArch = "linux/" + PontoonCtlVersion.architecture
    }

    static var architecture: String {
        #if arch(x86_64)
        "amd64"
        #elseif arch(arm64)
        "arm64"
        #else
        "unknown"
        #endif
    }
}

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version", abstract: "pontoonctl's version and the podman release it follows.",
        discussion: "Example: pontoonctl version --format '{{.Client.Version}}'")
    @OptionGroup(visibility: .hidden) var global: GlobalOptions
    @OptionGroup var format: ReportFormatOption

    func run() throws {
        let report = ["Client": PontoonCtlVersion.Client()]
        try Output.report(report, format.format) {
            let client = PontoonCtlVersion.Client()
            print("Client:       pontoonctl")
            print("Version:      \(client.Version)")
            print("API Version:  \(client.APIVersion) (podman)")
            print("OS/Arch:      \(client.OsArch)")
        }
    }
}

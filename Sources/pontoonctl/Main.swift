import ArgumentParser
import Foundation
import PontoonCtl

/// pontoonctl's own entry point, in place of ArgumentParser's: a mistake on the command line is
/// one line on stderr and exit 125, as podman's and as every other pontoonctl error is (the
/// default prints the usage too and exits 64). Help and `--version` print as usual and exit 0.
extension PontoonCtlCommand {
    static func main() {
        var command: any ParsableCommand
        do {
            command = try parseAsRoot(ExecArguments.normalised(Array(CommandLine.arguments.dropFirst())))
        } catch {
            exitForParse(error)
        }
        do {
            try command.run()
        } catch let error as CtlError {
            FileHandle.standardError.write(Data(("Error: " + error.description + "\n").utf8))
            Foundation.exit(error.exitStatus)
        } catch let code as ExitCode {
            // Already reported by perform (one line), or a plain failure status.
            Foundation.exit(code.rawValue)
        } catch {
            exitForParse(error)
        }
        Foundation.exit(0)
    }

    private static func exitForParse(_ error: any Error) -> Never {
        let code = exitCode(for: error).rawValue
        if code == 0 {
            // --help, help SUBCOMMAND, --version: what was asked for.
            print(fullMessage(for: error))
            Foundation.exit(0)
        }
        if let code = error as? ExitCode { Foundation.exit(code.rawValue) }
        let text = message(for: error)
        // Empty: reported already (perform, in a validate), only its status is left to give.
        if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { Foundation.exit(code) }
        FileHandle.standardError.write(Data(("Error: " + oneLine(text) + "\n").utf8))
        Foundation.exit(125)
    }

    /// ArgumentParser's message, without its own "Error: " and the lines after the first (usage, help hints).
    static func oneLine(_ message: String) -> String {
        var line = String(message.split(separator: "\n", omittingEmptySubsequences: true).first ?? "invalid command line")
        if line.hasPrefix("Error: ") { line.removeFirst("Error: ".count) }
        return line.trimmingCharacters(in: .whitespaces)
    }
}

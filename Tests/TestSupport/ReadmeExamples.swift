import Foundation

/// The README's examples that a test runs as written: each ```sh block that follows a
/// `<!-- tested: readme-examples -->` comment (the comment on the line just before the fence).
public enum ReadmeExamples {
    public static let marker = "<!-- tested: readme-examples -->"

    /// One command line of an example, where it is in the README.
    public struct Line: Sendable, CustomStringConvertible {
        /// 1-based line number in README.md (the first line of a continued command).
        public let number: Int
        public let text: String

        /// Building or installing from the checkout (`swift build`, `scripts/…`): what the reader
        /// does once, and what the test has done already (the binaries under test) or proves
        /// elsewhere (`scripts/install` has its own test).
        public var isBuildStep: Bool {
            let first = text.split(separator: " ").first.map(String.init) ?? ""
            return first == "swift" || first.hasPrefix("scripts/")
        }

        public var description: String { "README.md:\(number): \(text)" }
    }

    /// A marked block: the section it is in and its command lines.
    public struct Block: Sendable {
        /// The nearest `## ` heading above the block.
        public let section: String
        public let lines: [Line]
    }

    public static var readmePath: String { Repository.root + "/README.md" }

    /// Every marked block of the README; throws when a marker is not followed by a ```sh block.
    public static func blocks(in text: String) throws -> [Block] {
        let rows = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var blocks: [Block] = [], section = "", index = 0
        while index < rows.count {
            let row = rows[index]
            if row.hasPrefix("## ") { section = String(row.dropFirst(3)) }
            guard row.trimmingCharacters(in: .whitespaces) == marker else { index += 1; continue }
            guard index + 1 < rows.count, rows[index + 1].trimmingCharacters(in: .whitespaces) == "```sh" else {
                throw GoldenError("README.md:\(index + 1): \(marker) is not followed by a ```sh block")
            }
            var lines: [Line] = [], pending: (number: Int, text: String)?
            index += 2
            while index < rows.count, rows[index].trimmingCharacters(in: .whitespaces) != "```" {
                let raw = rows[index]
                let start = pending?.number ?? index + 1
                let joined = (pending?.text ?? "") + raw
                // A line ending in a backslash continues on the next one, as the shell reads it.
                if joined.hasSuffix("\\") {
                    pending = (start, String(joined.dropLast()))
                } else {
                    pending = nil
                    let command = joined.trimmingCharacters(in: .whitespaces)
                    if !command.isEmpty, !command.hasPrefix("#") { lines.append(Line(number: start, text: command)) }
                }
                index += 1
            }
            guard index < rows.count else { throw GoldenError("README.md: the block under \(section) never ends") }
            blocks.append(Block(section: section, lines: lines))
            index += 1
        }
        return blocks
    }

    public static func blocks() throws -> [Block] {
        try blocks(in: String(contentsOfFile: readmePath, encoding: .utf8))
    }

    /// A bash script that runs `lines` in order in one shell, as a reader types them into one
    /// terminal: job control on (so `cmd &` is job %1 and `kill %1` ends all of it), the first failing
    /// command stops it and says which README line it came from (on stderr, "README.md:N failed …";
    /// only the shell itself says it, not a background job that ends when it is killed).
    /// `prelude` comes first (the test's `pontoonctl` function, a working directory).
    public static func script(_ lines: [Line], prelude: String) -> String {
        var script = """
            set -eE -o pipefail
            set -m
            readme_line=0 readme_text=
            trap 'status=$?; if [[ $BASHPID == $$ ]]; then echo "README.md:$readme_line failed (exit $status): $readme_text" >&2; fi; exit $status' ERR
            \(prelude)

            """
        for line in lines {
            script += "readme_line=\(line.number) readme_text=\(shellQuoted(line.text))\n"
            script += "echo \"\\$ $readme_text\"\n"
            script += "eval \"$readme_text\"\n"
        }
        return script
    }

    /// Single-quoted for bash.
    public static func shellQuoted(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    /// The README line a failed script named, from its stderr.
    public static func failedLine(_ stderr: String) -> String? {
        stderr.split(separator: "\n").first { $0.hasPrefix("README.md:") && $0.contains(" failed (exit ") }.map(String.init)
    }
}

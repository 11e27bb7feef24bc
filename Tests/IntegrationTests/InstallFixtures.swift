import Foundation
import Testing
import TestSupport

/// Running `scripts/install` and looking at what it left, for InstallTests.
enum InstallTree {
    static var script: String { Repository.root + "/scripts/install" }

    /// scripts/install with this build's binaries (`--bin-dir` first, so a later option that lacks
    /// its value stays last) unless `binDir` is nil.
    static func run(_ arguments: [String], binDir: String? = Binaries.directory) throws -> RunResult {
        let binaries = binDir.map { ["--bin-dir", $0] } ?? []
        return try TestRun.run(script, binaries + arguments,
                               environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "TMPDIR": "/tmp"])
    }

    /// scripts/install that must succeed.
    static func install(_ arguments: [String]) throws {
        let result = try run(arguments)
        guard result.status == 0 else {
            throw GoldenError("scripts/install \(arguments.joined(separator: " ")) exited \(result.status): \(result.stderrText)")
        }
    }

    /// Every entry under `root`, relative: `dir MODE`, `file MODE SHA256` or `link TARGET`.
    static func snapshot(_ root: String) throws -> [String: String] {
        let listing = try TestRun.run("/bin/sh", ["-c", """
            cd "$1" || exit 1
            find . -mindepth 1 -printf '%y\\t%m\\t%P\\t%l\\n' | while IFS="$(printf '\\t')" read -r type mode path target; do
                case $type in
                    d) printf '%s\\tdir %s\\n' "$path" "$mode" ;;
                    l) printf '%s\\tlink %s\\n' "$path" "$target" ;;
                    *) printf '%s\\tfile %s %s\\n' "$path" "$mode" "$(sha256sum < "$path" | cut -d' ' -f1)" ;;
                esac
            done
            """, "snapshot", root], environment: ["PATH": "/usr/bin:/bin"])
        guard listing.status == 0 else { throw GoldenError("cannot list \(root): \(listing.stderrText)") }
        var entries: [String: String] = [:]
        for line in listing.stdoutText.split(separator: "\n") {
            let fields = line.split(separator: "\t", maxSplits: 1).map(String.init)
            if fields.count == 2 { entries[fields[0]] = fields[1] }
        }
        return entries
    }

    /// The strings of a TOML array `key = [ "a", "b", ]` (the form the snippet is written in).
    static func tomlArray(_ text: String, key: String) -> [String] {
        guard let start = text.range(of: key + " = ["), let end = text[start.upperBound...].firstIndex(of: "]") else { return [] }
        return text[start.upperBound..<end].split(separator: "\n").compactMap { line in
            let trimmed = line.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: ","))
            return trimmed.hasPrefix("\"") && trimmed.hasSuffix("\"") ? String(trimmed.dropFirst().dropLast()) : nil
        }
    }

    /// The staged pontoonctl, run as if installed: in a private mount namespace where `/opt/cni/bin`
    /// is the staged one (the rest of `/opt` bound back as it was), inside a private host. Without
    /// that view it cannot find pontoon (nothing beside it, none in /usr/lib/cni); with it, two
    /// containers reach each other by name through the installed plugin.
    static func pontoonctlFindsInstalledPontoon(destdir: String) throws {
        let ctl = try Ctl("inst")
        defer { ctl.cleanup() }
        let view = ctl.host.scratch.file("opt-view")
        try FileManager.default.createDirectory(atPath: view, withIntermediateDirectories: true)
        let q = ReadmeExamples.shellQuoted
        let script = """
            set -euo pipefail
            ctl() {
                nsenter --net=\(q(PrivateHost.path(ctl.host.name))) \(q(destdir + "/usr/local/bin/pontoonctl")) \\
                    --state-dir \(q(ctl.state)) --config-dir \(q(ctl.config)) --netns-dir \(q(ctl.netnsDir)) "$@"
            }
            ctl network create inst >/dev/null
            if ctl run probe --network inst 2>\(q(view + ".err")); then echo "found a pontoon before the install's /opt/cni/bin was there" >&2; exit 1; fi
            grep -q "plugin pontoon not found" \(q(view + ".err")) || { cat \(q(view + ".err")) >&2; exit 1; }

            view=\(q(view))
            mount -t tmpfs pontoon-test-opt "$view"
            for entry in /opt/*; do
                if [[ -d $entry ]]; then mkdir "$view/${entry##*/}"; else : > "$view/${entry##*/}"; fi
                mount --rbind "$entry" "$view/${entry##*/}"
            done
            mkdir -p "$view/cni/bin"
            mount --bind \(q(destdir + "/opt/cni/bin")) "$view/cni/bin"
            mount --move "$view" /opt
            ctl run a --network inst >/dev/null
            ctl run b --network inst >/dev/null
            ctl exec a -- ping -c 1 -W 2 b
            ctl rm --force a b
            ctl network rm inst
            """
        let result = try TestRun.run("/usr/bin/unshare", ["--mount", "--propagation", "private", "--", "/bin/bash", "-c", script],
                                     environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"])
        #expect(result.status == 0, "\(result.stderrText)\n\(result.stdoutText)")
        #expect(result.stdoutText.contains("1 received"), "\(result.stdoutText)")
        #expect(ctl.leftovers() == [])
    }
}

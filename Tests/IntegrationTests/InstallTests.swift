import Foundation
import Testing
import TestSupport

/// `scripts/install` into a scratch `--destdir` (as a package build stages it), with this build's
/// binaries (`--bin-dir`): what it writes, that the installed pontoonctl runs and finds the installed
/// pontoon where it looks on a real host, and that `--uninstall` gives back the tree as it was.
@Suite("scripts/install", needsRoot, .serialized)
struct InstallTests {
    static let prefix = "/usr/local"

    /// What a staged install writes, relative to the destdir (links with their targets).
    static func expectedFiles() throws -> [String: String] {
        var files = [
            "opt/cni/bin/pontoon": "file",
            "usr/local/bin/pontoonctl": "file",
            "usr/local/libexec/pontoon/netavark": "link /opt/cni/bin/pontoon",
            "etc/containers/containers.conf.d/50-pontoon.conf": "file",
            "usr/local/share/bash-completion/completions/pontoonctl": "file",
            "usr/local/share/zsh/site-functions/_pontoonctl": "file",
            "usr/local/share/fish/vendor_completions.d/pontoonctl.fish": "file",
            "usr/local/share/pontoon/install-manifest": "file",
        ]
        for example in try FileManager.default.contentsOfDirectory(atPath: Repository.root + "/conf") {
            files["usr/local/share/doc/pontoon/examples/" + example] = "file"
        }
        return files
    }

    @Test("staged install: exactly its files, pontoonctl runs from there and finds the installed pontoon, --uninstall restores the tree")
    func stagedInstall() throws {
        let scratch = try TemporaryDirectory("pontoon-install")
        defer { scratch.remove() }
        let destdir = scratch.file("stage")
        // Something that was there before and is not the install's: it must survive both ways.
        try FileManager.default.createDirectory(atPath: destdir + "/usr/local/bin", withIntermediateDirectories: true)
        try "#!/bin/sh\n".write(toFile: destdir + "/usr/local/bin/other-tool", atomically: true, encoding: .utf8)
        let before = try InstallTree.snapshot(destdir)

        try InstallTree.install(["--destdir", destdir, "--prefix", Self.prefix])
        let after = try InstallTree.snapshot(destdir)
        let written = after.filter { before[$0.key] == nil && !$0.value.hasPrefix("dir") }.mapValues { $0.hasPrefix("link") ? $0 : "file" }
        #expect(written == (try Self.expectedFiles()))
        #expect(after["usr/local/bin/other-tool"] == before["usr/local/bin/other-tool"])
        #expect(FileManager.default.contentsEqual(atPath: destdir + "/opt/cni/bin/pontoon", andPath: Binaries.pontoon))
        #expect(FileManager.default.isExecutableFile(atPath: destdir + "/usr/local/bin/pontoonctl"))

        for completion in ["bash-completion/completions/pontoonctl", "zsh/site-functions/_pontoonctl",
                           "fish/vendor_completions.d/pontoonctl.fish"] {
            let text = try String(contentsOfFile: destdir + "/usr/local/share/" + completion, encoding: .utf8)
            // Generated from the command tree: subcommands are in it.
            #expect(text.contains("pontoonctl") && text.contains("network") && text.contains("inspect"), "\(completion): \(text.prefix(200))")
        }
        let snippet = try String(contentsOfFile: destdir + "/etc/containers/containers.conf.d/50-pontoon.conf", encoding: .utf8)
        let helperDirs = InstallTree.tomlArray(snippet, key: "helper_binaries_dir")
        #expect(helperDirs == ["/usr/local/libexec/pontoon", "/usr/local/libexec/podman", "/usr/local/lib/podman",
                               "/usr/libexec/podman", "/usr/lib/podman"])

        let help = try TestRun.run(destdir + "/usr/local/bin/pontoonctl", ["--help"], environment: ["PATH": "/usr/bin:/bin"])
        #expect(help.status == 0 && help.stdoutText.contains("USAGE: pontoonctl"), "\(help.stderrText)")
        try InstallTree.pontoonctlFindsInstalledPontoon(destdir: destdir)

        try InstallTree.install(["--uninstall", "--destdir", destdir, "--prefix", Self.prefix])
        #expect(try InstallTree.snapshot(destdir) == before)
    }

    @Test("a file it did not write is refused (nothing written), --force moves it aside and --uninstall puts it back")
    func foreignFile() throws {
        let scratch = try TemporaryDirectory("pontoon-install")
        defer { scratch.remove() }
        let destdir = scratch.file("stage")
        let theirs = destdir + "/opt/cni/bin/pontoon"
        try FileManager.default.createDirectory(atPath: destdir + "/opt/cni/bin", withIntermediateDirectories: true)
        try "someone else's plugin\n".write(toFile: theirs, atomically: true, encoding: .utf8)
        let before = try InstallTree.snapshot(destdir)

        let refused = try InstallTree.run(["--destdir", destdir])
        #expect(refused.status == 1)
        #expect(refused.stderrText.contains(theirs) && refused.stderrText.contains("--force"), "\(refused.stderrText)")
        #expect(try InstallTree.snapshot(destdir) == before)

        try InstallTree.install(["--destdir", destdir, "--force"])
        #expect(try String(contentsOfFile: theirs + ".pontoon-displaced", encoding: .utf8) == "someone else's plugin\n")
        #expect(FileManager.default.contentsEqual(atPath: theirs, andPath: Binaries.pontoon))
        // Installing again replaces its own files without --force.
        try InstallTree.install(["--destdir", destdir])

        try InstallTree.install(["--uninstall", "--destdir", destdir])
        #expect(try InstallTree.snapshot(destdir) == before)
    }

    @Test("an install that fails half way removes what it wrote and says where it stopped")
    func failedHalfWay() throws {
        let scratch = try TemporaryDirectory("pontoon-install")
        defer { scratch.remove() }
        let destdir = scratch.file("stage")
        // A file where the install needs a directory: pontoon and pontoonctl are written before it stops.
        try FileManager.default.createDirectory(atPath: destdir + "/usr/local/share", withIntermediateDirectories: true)
        try "not a directory\n".write(toFile: destdir + "/usr/local/share/zsh", atomically: true, encoding: .utf8)
        let before = try InstallTree.snapshot(destdir)
        let result = try InstallTree.run(["--destdir", destdir])
        #expect(result.status == 1)
        #expect(result.stderrText.contains("cannot make the directory of \(destdir)/usr/local/share/zsh/site-functions/_pontoonctl")
                && result.stderrText.contains("nothing installed"), "\(result.stderrText)")
        #expect(try InstallTree.snapshot(destdir) == before)
    }

    @Test("--uninstall keeps a file changed since it was installed, names it, and --force removes it")
    func changedFile() throws {
        let scratch = try TemporaryDirectory("pontoon-install")
        defer { scratch.remove() }
        let destdir = scratch.file("stage")
        try FileManager.default.createDirectory(atPath: destdir, withIntermediateDirectories: true)
        let before = try InstallTree.snapshot(destdir)
        try InstallTree.install(["--destdir", destdir])
        let snippet = destdir + "/etc/containers/containers.conf.d/50-pontoon.conf"
        try "# edited by the admin\n".write(toFile: snippet, atomically: true, encoding: .utf8)

        let kept = try InstallTree.run(["--uninstall", "--destdir", destdir])
        #expect(kept.status == 1 && kept.stderrText.contains(snippet), "\(kept.stderrText)")
        #expect(FileManager.default.fileExists(atPath: snippet))
        #expect(!FileManager.default.fileExists(atPath: destdir + "/usr/local/bin/pontoonctl"))

        try InstallTree.install(["--uninstall", "--destdir", destdir, "--force"])
        #expect(try InstallTree.snapshot(destdir) == before)
    }

    @Test("podman 4.3.1 configured only by the installed containers.conf.d snippet runs the installed pontoon as its netavark")
    func podmanThroughSnippet() throws {
        let scratch = try TemporaryDirectory("pontoon-install")
        defer { scratch.remove() }
        // A real (unstaged) install into scratch paths, so the snippet and the link name where things are.
        let etc = scratch.file("etc")
        try InstallTree.install(["--prefix", scratch.file("prefix"), "--cni-dir", scratch.file("cni"), "--sysconfdir", etc])
        defer { _ = try? InstallTree.run(["--uninstall", "--prefix", scratch.file("prefix")]) }

        let podman = try PodmanHost("pminst", backend: .netavark(.pontoon), systemContainers: etc + "/containers")
        defer { podman.cleanup() }
        let network = "pn\(podman.token)"
        try podman.podmanOK(["network", "create", "--internal", "--subnet", "10.99.31.0/24", network])
        for name in ["i1", "i2"] {
            // Debian's /usr/share/containers/containers.conf (read here, as on an installed host) drops
            // NET_RAW from the default capabilities, and busybox ping needs it.
            let run = try podman.run(name, network: network, options: ["--cap-add", "NET_RAW"])
            try #require(run.status == 0, "podman run \(name): \(run.stdoutText)\(run.stderrText)")
        }
        let byName = try podman.exec("i2", "ping -c 1 -W 2 i1")
        #expect(byName.status == 0, "i2 → i1 by name: \(byName.stdoutText)\(byName.stderrText)")
        // pontoon's attachment records: Debian's netavark (what podman runs without the snippet) writes none.
        let records = try podman.sandboxShell("find /run/containers/networks/pontoon -type f 2>/dev/null").stdoutText
        #expect(!records.isEmpty, "no pontoon records: podman did not run the installed pontoon")
        try podman.podmanOK(["rm", "--force", "--time", "0", "i1", "i2"])
        try podman.podmanOK(["network", "rm", network])
    }

    @Test("bad options: one line naming what is wrong, exit 1, nothing written", arguments: [
        (["--prefix", "usr/local"], "--prefix \"usr/local\" must be an absolute path"),
        (["--destdir", "/tmp/x/../y"], "must be an absolute path without .."),
        (["--bin-dir", "/nonexistent-pontoon-bin"], "--bin-dir /nonexistent-pontoon-bin has no executable pontoon"),
        (["--frobnicate"], "unknown option \"--frobnicate\""),
        (["--prefix"], "--prefix needs a directory"),
        (["--uninstall"], "nothing to uninstall: no manifest at"),
    ])
    func badOptions(arguments: [String], message: String) throws {
        let scratch = try TemporaryDirectory("pontoon-install")
        defer { scratch.remove() }
        let destdir = scratch.file("stage")
        try FileManager.default.createDirectory(atPath: destdir, withIntermediateDirectories: true)
        // Staged, so a refusal that wrongly went ahead would write here, never to the real host.
        let staged = arguments.contains("--destdir") ? arguments : ["--destdir", destdir] + arguments
        let result = try InstallTree.run(staged, binDir: arguments.contains("--bin-dir") ? nil : Binaries.directory)
        #expect(result.status == 1)
        let lines = result.stderrText.split(separator: "\n")
        #expect(lines.count == 1 && result.stderrText.contains(message), "\(result.stderrText)")
        #expect(try InstallTree.snapshot(destdir).isEmpty)
    }
}

import Foundation

/// A rootless container's way into the rootless netns while its lock is held: the pause process
/// (nil when it died: then nothing runs inside, and only files are removed) and the plugins' prefix.
struct RootlessAttachment {
    let netns: RootlessNetNS
    let pause: Int32?
    let pluginPrefix: [String]

    init(netns: RootlessNetNS, pause: Int32?) throws(CtlError) {
        self.netns = netns
        self.pause = pause
        pluginPrefix = try pause.map { pid throws(CtlError) in try netns.pluginPrefix(pid) } ?? []
    }
}

/// What a rootless container's create and rm do through the rootless network namespace: its own
/// network namespace made inside the pause process's user namespace (so that namespace owns it and
/// its root may configure it), and every plugin call run inside the rootless netns, as podman's
/// `RootlessNetNS.Do()` runs them.
extension RootlessNetNS {
    /// The plugins' private `/run`, `/var/lib/cni` and `resolv.conf`: removed with the namespace.
    var pluginDirectory: String { stateDirectory + "/rootless-netns" }

    /// slirp4netns' built-in DNS forwarder, first in the plugins' resolv.conf as podman puts it.
    static let slirpDNS = "10.0.2.3"

    /// The host's resolv.conf for the rootless netns: slirp's DNS first, then the host's servers but
    /// its loopback ones (slirp4netns runs with `--disable-host-loopback`: they cannot be reached).
    public static func resolvConf(host: String) -> String {
        var lines = ["nameserver " + slirpDNS]
        for line in host.split(separator: "\n").map({ $0.trimmingCharacters(in: .whitespaces) }) where !line.isEmpty {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if fields.first == "nameserver" {
                guard fields.count > 1, !fields[1].hasPrefix("127."), fields[1] != "::1", fields[1] != slirpDNS else { continue }
            }
            lines.append(line)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The plugins' view, in a fresh mount namespace of the pause process's user namespace: the runtime
    /// directory as it is (bound back into the private /run), the host's /run/systemd, a private /run
    /// and /var/lib/cni, the private resolv.conf, then the rootless netns with a sysfs of its own.
    /// Arguments: runtime directory, rootless netns, private run, private cni, resolv.conf, and the
    /// file to bind it over ("" when it was written into the private /run); the plugin follows.
    /// A host without /var/lib/cni (which the user cannot make) gets the private one's parent bound
    /// over its nearest existing parent, as podman does, so CNI state in /var/lib/cni stays private.
    static let pluginScript = """
        set -e
        runtime=$1 netns=$2 run=$3 cni=$4 resolv=$5 target=$6
        shift 6
        case $runtime in /run/*) inner=$run${runtime#/run}; mkdir -p "$inner"; mount --rbind "$runtime" "$inner";; esac
        if [ -d /run/systemd ]; then mkdir -p "$run/systemd"; mount --rbind /run/systemd "$run/systemd"; fi
        mount --rbind "$run" /run
        lib=/var/lib/cni; while [ -n "$lib" ] && [ ! -d "$lib" ]; do lib=${lib%/*} cni=${cni%/*}; done
        if [ -n "$lib" ]; then mount --bind "$cni" "$lib"; fi
        if [ -n "$target" ]; then mount --bind "$resolv" "$target"; fi
        PATH=$PATH:/usr/sbin
        export PATH
        exec nsenter --net="$netns" -- /bin/sh -c 'mount -t sysfs sysfs /sys && exec "$@"' sh "$@"
        """

    /// The command every plugin of a rootless container runs through (see `ControlPaths.pluginPrefix`).
    func pluginPrefix(_ pause: Int32) throws(CtlError) -> [String] {
        let run = pluginDirectory + "/run", cni = pluginDirectory + "/var/lib/cni", resolv = pluginDirectory + "/resolv.conf"
        try Store.makeDirectory(run)
        try Store.makeDirectory(cni)
        let text = Self.resolvConf(host: (try? String(contentsOfFile: "/etc/resolv.conf", encoding: .utf8)) ?? "")
        // podman binds it over the /run target of the symbolic link chain: inside the private /run
        // that is a file of ours, written in place.
        let real = URL(fileURLWithPath: "/etc/resolv.conf").resolvingSymlinksInPath().path
        var target = real
        var file = resolv
        if real.hasPrefix("/run/") {
            file = run + real.dropFirst(4)
            target = ""
            try Store.makeDirectory((file as NSString).deletingLastPathComponent)
        }
        guard FileManager.default.createFile(atPath: file, contents: Data(text.utf8)) else {
            throw CtlError(.failed, "cannot write \(file)")
        }
        return [Self.nsenter] + Self.joining(pause)
            + ["/usr/bin/unshare", "--mount", "/bin/sh", "-c", Self.pluginScript, "sh", host.runtimeDirectory, path, run, cni, resolv, target]
    }

    /// A container's network namespace, made by the user namespace's root and bind-mounted in the
    /// pause process's mount namespace (the file alone is all the host sees).
    func makeContainerNamespace(_ pause: Int32, in directory: String) throws(CtlError) -> String {
        try Store.makeDirectory(directory)
        let path = directory + "/netns-" + UUID().uuidString.lowercased()
        let fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o444)
        guard fd >= 0 else { throw CtlError(.failed, "cannot create \(path): \(String(cString: strerror(errno)))") }
        close(fd)
        do throws(CtlError) {
            try expect(joined(pause, ["/usr/bin/unshare", "--net=" + path, "true"]), "cannot make a network namespace at \(path)")
        } catch {
            unlink(path)
            throw error
        }
        return path
    }

    /// Unmounts (inside the pause process's mount namespace, when it still runs) and removes.
    func removeContainerNamespace(_ pause: Int32?, _ path: String) throws(CtlError) {
        if let pause {
            let run = try joined(pause, ["/usr/bin/umount", path])
            let why = String(decoding: run.stderr, as: UTF8.self)
            if run.status != 0, !why.contains("not mounted"), !why.contains("No such file") {
                try expect(run, "cannot unmount network namespace \(path)")
            }
        }
        if unlink(path) != 0, errno != ENOENT {
            throw CtlError(.failed, "cannot remove \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// aardvark-dns, started by the plugin inside the rootless netns, once that namespace was lost with
    /// its pause process: no teardown reaches it there, and it would outlive every container.
    func stopStrandedDNS(configDirectory: String) {
        Self.stop(running(configDirectory + "/aardvark-dns/aardvark.pid", "aardvark-dns"), signal: SIGTERM)
    }

    /// The pause process while it runs.
    var pause: Int32? { running(pausePidFile, "unshare") }
}

import Foundation

/// The netavark generator's mutations of the command line, and where the result may write.
extension NetavarkFuzzGenerator {
    // MARK: the command line

    func commandLine(_ call: inout NetavarkCall, _ random: inout SeededRandom, index: Int) -> String {
        func setOption(_ name: String, _ value: [UInt8]?) {
            // Replace every spelling of the option (`--name v`, `--name=v`), then put the new one first.
            var kept: [[UInt8]] = [], i = 0
            let options = max(0, call.arguments.count - 2)
            while i < options {
                let argument = String(decoding: call.arguments[i], as: UTF8.self)
                if argument == name { i += 2; continue }
                if argument.hasPrefix(name + "=") { i += 1; continue }
                kept.append(call.arguments[i]); i += 1
            }
            call.arguments = (value.map { [Array(name.utf8), $0] } ?? []) + kept + call.arguments.suffix(2)
        }
        switch Int.random(in: 0..<9, using: &random) {
        case 0:
            var choices = ["", "/run/netns/missing", Self.scratch + "/other/plain-file", Self.scratch + "/other", "/dev/null", "relative/ns",
                           "/proc/self/ns/net", "/proc/1/ns/net", "/proc/self/ns/mnt", "/run/netns/../netns/" + containers[0],
                           Self.scratch + "/" + String(repeating: "p", count: 5000), "/run/netns/" + containers[1]]
            if index % 997 == 3 { choices = [Self.scratch + "/other/fifo"] }
            let value = random.pick(choices)
            call.arguments[call.arguments.count - 1] = Array(value.utf8)
            return "netns \(value.debugDescription.prefix(60))"
        case 1:
            let value = random.pick(["", "Setup", "setup ", "version", "update", "bogus", "-h"])
            call.arguments[call.arguments.count - 2] = Array(value.utf8)
            return "verb \(value.debugDescription)"
        case 2:
            let how = Int.random(in: 0..<4, using: &random)
            switch how {
            case 0: call.arguments.append(Array("extra".utf8))
            case 1: call.arguments.removeLast()
            case 2: call.arguments += ["--network-dns-servers", "1.1.1.1"].map { Array($0.utf8) }
            default: call.arguments.insert(Array(random.pick(["--bogus", "-x", "--config", "--rootless=maybe", "--rootless", "--"]).utf8), at: 0)
            }
            return ["an extra argument", "no netns", "update's option after the netns", "an odd option first"][how]
        case 3:
            let value: [UInt8]? = random.pick(["", "relative", "../up", "/", Self.scratch + "/other/plain-file", Self.scratch + "/other/plain-file/sub",
                                               "/dev/null", Self.scratch + "/" + String(repeating: "d/", count: 2500), Self.scratch + "/other/ünï",
                                               Self.configDirectory + "/../escape", Self.scratch + "/other/sub", "/tmp/nv/config/"].map { Array($0.utf8) }
                                              + [nil, [0x2f, 0x74, 0x6d, 0x70, 0x2f, 0xff]])
            setOption("--config", value)
            return "--config \(value.map { String(decoding: $0, as: UTF8.self).debugDescription.prefix(60) } ?? "(default)")"
        case 4:
            let value = random.pick(["true", "false", "maybe", "", "TRUE"])
            setOption("--rootless", Array(value.utf8))
            return "--rootless \(value.debugDescription)"
        case 5:
            let value = random.pick(["", "relative", "/nonexistent/aardvark", Self.scratch + "/other", Self.scratch + "/other/plain-file", "/bin/false", Self.aardvark])
            setOption("--aardvark-binary", Array(value.utf8))
            return "--aardvark-binary \(value.debugDescription)"
        case 6:
            let value = random.pick(["nftables", "iptables", "none", "bogus", ""])
            setOption("--firewall-driver", Array(value.utf8))
            return "--firewall-driver \(value.debugDescription)"
        case 7:
            var values = ["/nonexistent/options.json", Self.scratch + "/other", "/dev/zero", "/dev/null", "", "relative.json"]
            if index % 997 == 500 { values = [Self.scratch + "/other/fifo"] }
            let value = random.pick(values)
            setOption(random.chance(0.5) ? "--file" : "-f", Array(value.utf8))
            return "--file \(value.debugDescription)"
        default:
            setOption("--config", Array((Self.configDirectory + "-first").utf8))
            call.arguments.insert(contentsOf: ["--config", Self.configDirectory].map { Array($0.utf8) }, at: 2)
            return "--config given twice"
        }
    }

    // MARK: where the input may write

    /// The `--config` directories the command line names (every one, whichever wins), or netavark's default.
    func allowed(_ call: NetavarkCall) -> AllowedPaths {
        var directories: [String] = [], i = 0, sawConfig = false
        while i < call.arguments.count {
            let argument = String(decoding: call.arguments[i], as: UTF8.self)
            if argument == "--config", i + 1 < call.arguments.count {
                directories.append(String(decoding: call.arguments[i + 1], as: UTF8.self)); sawConfig = true; i += 2; continue
            }
            if argument.hasPrefix("--config=") { directories.append(String(argument.dropFirst(9))); sawConfig = true }
            i += 1
        }
        if !sawConfig || directories.contains("") { directories.append(Self.defaultConfigDirectory) }
        return AllowedPaths(directories: directories.filter { $0.hasPrefix("/") })
    }
}

import Glibc

/// host-local's `resolvConf`: a resolv.conf whose settings are handed back as the result's DNS,
/// read the way the reference reads it.
public enum ResolvConf {
    /// Reads and parses `path`; a missing or unreadable file is an `.io` error naming it.
    /// The file may be a symbolic link (`/etc/resolv.conf` often is), but must be a regular file:
    /// a FIFO or device would hang the plugin.
    public static func read(_ path: String) throws -> DNS {
        let bytes: [UInt8]?
        do {
            bytes = try FileSystem.readFile(path, limit: 1 << 20, followLinks: true, regularOnly: true)
        } catch is NotRegularFile {
            throw PontoonError(.invalidConfiguration, "invalid resolvConf \"\(path)\": not a regular file")
        }
        guard let bytes else { throw FileSystem.ioError("cannot read resolvConf", path, errno: ENOENT) }
        return parse(String(decoding: bytes, as: UTF8.self))
    }

    /// `nameserver` (one per line, repeated lines add), `domain` (the last wins), `search` and
    /// `options` (every word, across lines). Comments (`#`, `;`), blank lines and keywords without
    /// a value are skipped; extra words after a nameserver are ignored.
    public static func parse(_ text: String) -> DNS {
        var dns = DNS()
        for line in text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\u{0B}" || $0 == "\u{0C}" })
            guard let keyword = fields.first, !keyword.hasPrefix("#"), !keyword.hasPrefix(";"), fields.count >= 2 else { continue }
            let values = fields.dropFirst().map(String.init)
            switch keyword {
            case "nameserver": dns.nameservers.append(values[0])
            case "domain": dns.domain = values[0]
            case "search": dns.search.append(contentsOf: values)
            case "options": dns.options.append(contentsOf: values)
            default: break
            }
        }
        return dns
    }
}

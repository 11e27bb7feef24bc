/// The one rule for every file or directory a network config names (`stateDir`, `dataDir`,
/// `logFile`, `resolvConf`, and their environment overrides): absolute, without a `..` component
/// and without NUL bytes, so a config cannot reach above or beside the tree the operator chose.
public enum ConfigPath {
    public static func validated(_ path: String, key: String) throws(PontoonError) -> String {
        guard !path.utf8.contains(0) else {
            throw PontoonError(.invalidConfiguration, "invalid \(key) \"\(path)\": it contains a NUL byte")
        }
        guard path.hasPrefix("/"), !hasParentComponent(path) else {
            throw PontoonError(.invalidConfiguration, "invalid \(key) \"\(path)\": must be an absolute path without \"..\"")
        }
        return path
    }

    /// Whether a component between slashes is exactly `..`, looked at as the kernel does: byte by
    /// byte. (Split by Characters, a slash followed by a combining mark was not a separator, so
    /// `/a/../\u{301}b` passed, though the kernel walks up at its `..`; the split also cost
    /// ~15 K instructions a path.)
    static func hasParentComponent(_ path: String) -> Bool {
        var length = 0, dots = 0
        for byte in path.utf8 {
            if byte == UInt8(ascii: "/") {
                if length == 2, dots == 2 { return true }
                length = 0
                dots = 0
            } else {
                length += 1
                if byte == UInt8(ascii: ".") { dots += 1 }
            }
        }
        return length == 2 && dots == 2
    }
}

import HostSystem

/// The one rule for every file or directory a network config names (`stateDir`, `dataDir`,
/// `logFile`, `resolvConf`, and their environment overrides): absolute, without a `..` component
/// and without NUL bytes, so a config cannot reach above or beside the tree the operator chose.
public enum ConfigPath {
    public static func validated(_ path: String, key: String) throws(PontoonError) -> String {
        guard !path.utf8.contains(0) else {
            throw PontoonError(.invalidConfiguration, "invalid \(key) \"\(path)\": it contains a NUL byte")
        }
        guard PathRule.isAbsoluteWithoutParent(path) else {
            throw PontoonError(.invalidConfiguration, "invalid \(key) \"\(path)\": must be an absolute path without \"..\"")
        }
        return path
    }
}

/// The rule for a path that the plugin or pontoonctl is told to use (a config's directories, a
/// command line's, a namespace to join): absolute, and no component `..`, so it cannot reach above
/// the tree it names. Looked at as the kernel walks it: byte by byte. (Split by Characters, a slash
/// followed by a combining mark was no separator, so `/a/../\u{301}b` passed although the kernel
/// walks up at its `..`; the split also cost ~15 K instructions a path.)
public enum PathRule {
    public static func isAbsoluteWithoutParent(_ path: String) -> Bool {
        path.utf8.first == UInt8(ascii: "/") && !hasParentComponent(path)
    }

    /// Whether a component between slashes is exactly `..`.
    public static func hasParentComponent(_ path: String) -> Bool {
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

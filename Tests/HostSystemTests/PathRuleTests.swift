import HostSystem
import Testing

/// The path rule that config paths (the plugin) and command-line paths (pontoonctl) share.
@Suite("PathRule")
struct PathRuleTests {
    @Test("a path component is `..` only when it is those two bytes between slashes")
    func parentComponents() {
        for path in ["/..", "/a/../b", "/a/..", "//..//", "/../", "/a/../\u{301}b", "/\u{e9}/.."] {
            #expect(PathRule.hasParentComponent(path), "\(path)")
        }
        for path in ["/", "/a/b", "/a/.../b", "/a/.b", "/..a", "/a/b..", "/a/./b", "/a/..\u{301}/b", "/a/.\u{301}./b", ""] {
            #expect(!PathRule.hasParentComponent(path), "\(path)")
        }
    }

    @Test("absolute means a leading slash")
    func absolute() {
        #expect(PathRule.isAbsoluteWithoutParent("/run/netns/x"))
        #expect(!PathRule.isAbsoluteWithoutParent("run/netns/x"))
        #expect(!PathRule.isAbsoluteWithoutParent(""))
        #expect(!PathRule.isAbsoluteWithoutParent("/run/../etc"))
    }
}

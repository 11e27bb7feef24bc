@testable import Pontoon
import Testing

/// A network's first member leaves the nftables base alone when the marker of its version is in
/// place (`PontoonTable.markerChain`). So a change to `base()` must come with a new
/// `baseVersion`, or hosts keep the old base: this pins the base's content to its version.
@Suite("nftables base version")
struct BaseFingerprintTests {
    /// FNV-1a over the commands as Swift describes them (every chain, rule and expression).
    static func fingerprint() -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in String(describing: PontoonTable.base().commands).utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        return hash
    }

    @Test("base() is what its version says: changing it means bumping baseVersion and this pin")
    func pinned() {
        let pins: [Int: UInt64] = [1: 8_430_262_376_161_077_504]
        #expect(pins[PontoonTable.baseVersion] == Self.fingerprint(),
                "base() changed: bump PontoonTable.baseVersion and pin \(Self.fingerprint()) for it")
    }

    @Test("the marker is the base's last rule: written only once the rest of it is")
    func markerLast() throws {
        let commands = PontoonTable.base().commands
        guard case .addRule(_, let rule) = try #require(commands.last) else {
            Issue.record("the base does not end with the marker's rule")
            return
        }
        #expect(rule.chain == PontoonTable.markerChain)
    }
}

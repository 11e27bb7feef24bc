import Testing
@testable import pontoon

/// The plugin's environment split (ProcessIO.variable) against the Character walk it replaced,
/// on entries where a byte-wise split could differ: marks that join the "=" into one cluster,
/// invalid UTF-8, no "=" at all, "=" first or last.
@Suite struct ProcessEnvironmentTests {
    static func characterWalk(_ bytes: [UInt8]) -> (String, String)? {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let equals = text.firstIndex(of: "=") else { return nil }
        return (String(text[..<equals]), String(text[text.index(after: equals)...]))
    }

    static let entries: [[UInt8]] = [
        Array("CNI_COMMAND=ADD".utf8), Array("A==b".utf8), Array("=x".utf8), Array("NAME=".utf8), Array("NOEQUALS".utf8),
        Array("A=\u{301}x".utf8),            // a combining acute accent joins the "=" into one Character
        Array("A=\u{301}x=y".utf8),          // ... so the first "=" Character is the second one
        Array("\u{600}=x".utf8),             // a prepended concatenation mark joins the "=" too
        Array("Ä=ö".utf8), Array("K=v\u{301}".utf8),
        [0x41, 0xFF, 0x3D, 0x62],            // invalid UTF-8 before the "="
        [0x41, 0x3D, 0xC3, 0x3D, 0x62],      // a truncated sequence after it
    ]

    @Test(arguments: entries) func splitsAsTheCharacterWalk(_ entry: [UInt8]) {
        var terminated = entry.map { CChar(bitPattern: $0) } + [0]
        let split = terminated.withUnsafeMutableBufferPointer { ProcessIO.variable($0.baseAddress!) }
        let expected = Self.characterWalk(entry)
        #expect(split?.0 == expected?.0)
        #expect(split?.1 == expected?.1)
        #expect((split == nil) == (expected == nil))
    }
}

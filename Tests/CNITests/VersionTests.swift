import CNI
import CNIDoor
import Testing

@Suite("CNI versions")
struct VersionTests {
    @Test("parsing and ordering")
    func ordering() {
        #expect(CNIVersion("0.3.1")! < CNIVersion("0.4.0")!)
        #expect(CNIVersion("0.10.0")! > CNIVersion("0.9.0")!)
        #expect(CNIVersion("1.0") == nil)
        #expect(CNIVersion("1.0.0-rc1") == nil)
        #expect(CNIVersion("a.b.c") == nil)
    }

    @Test("result layouts follow the version")
    func layouts() {
        #expect(CNIVersion(0, 2, 0).resultFormat == .legacy)
        #expect(CNIVersion(0, 3, 0).resultFormat == .versionedIPs)
        #expect(CNIVersion(0, 4, 0).resultFormat == .versionedIPs)
        #expect(CNIVersion(1, 0, 0).resultFormat == .v1)
        #expect(CNIVersion(1, 1, 0).resultFormat == .v1_1)
    }

    @Test("VERSION answers echo a well-formed request and list every supported version")
    func versionInfo() throws {
        let info = try VersionInfo(stdin: Array(#"{"cniVersion":"0.4.0"}"#.utf8))
        #expect(info.cniVersion == "0.4.0")
        #expect(info.supportedVersions == ["0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"])
        #expect(String(decoding: info.json, as: UTF8.self) == #"{"cniVersion":"0.4.0","supportedVersions":["0.1.0","0.2.0","0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"]}"# + "\n")
        #expect(try VersionInfo(stdin: []).cniVersion == "1.1.0")
        #expect(try VersionInfo(stdin: Array(#"{"cniVersion":"banana"}"#.utf8)).cniVersion == "1.1.0")
    }
}

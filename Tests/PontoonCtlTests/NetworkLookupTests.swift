import Foundation
import Netavark
import Testing
@testable import PontoonCtl

@Suite("pontoonctl network IDs: a name, the full ID or a unique prefix")
struct NetworkLookupTests {
    func file(_ name: String, _ id: String?) -> NetworkFile {
        NetworkFile(network: Network(name: name, id: id), backend: .init(type: .netavark))
    }

    let networks = [
        NetworkLookupTests.make("front", "ab12" + String(repeating: "0", count: 60)),
        NetworkLookupTests.make("back", "ab34" + String(repeating: "1", count: 60)),
        NetworkLookupTests.make("cafe", "cd56" + String(repeating: "2", count: 60)),
    ]

    static func make(_ name: String, _ id: String) -> NetworkFile {
        NetworkFile(network: Network(name: name, id: id), backend: .init(type: .netavark))
    }

    @Test("a file without an ID gets the SHA-256 of its name, as podman derives its default network's ID")
    func sha256() {
        // podman's default network `podman` has this ID (the reference capture's network_info).
        #expect(NetworkLookup.derivedID("podman") == "2f259bab93aaaaa2542ba43ef33eb990d0999ee1b9924b557b7be53c0b7a1bb9")
    }

    @Test("exact name, full ID and unique prefix find the network; a name wins over an ID prefix")
    func found() throws {
        #expect(try NetworkLookup.resolve("back", among: networks).network.name == "back")
        #expect(try NetworkLookup.resolve(networks[0].network.id!, among: networks).network.name == "front")
        #expect(try NetworkLookup.resolve("ab1", among: networks).network.name == "front")
        #expect(try NetworkLookup.resolve("c", among: networks).network.name == "cafe")
        // `cafe` is a name and no ID starts with it; a network named like another's ID prefix is found by name.
        let shadow = networks + [Self.make("cd5", "ef" + String(repeating: "3", count: 62))]
        #expect(try NetworkLookup.resolve("cd5", among: shadow).network.name == "cd5")
    }

    @Test("an ambiguous prefix names the candidates; an unknown one is not found")
    func refused() {
        #expect { try NetworkLookup.resolve("ab", among: networks) } throws: { error in
            let error = error as? CtlError
            return error?.kind == .conflict && error?.description == "more than one result for network ID ab: back, front"
        }
        #expect { try NetworkLookup.resolve("ff", among: networks) } throws: { error in
            let error = error as? CtlError
            return error?.kind == .notFound && error?.description == "unable to find network with name or ID ff: network not found"
        }
    }

    @Test("a file without an ID (an older pontoonctl's) gets the SHA-256 of its name, found by it and by its prefix")
    func legacy() throws {
        let old = file("podman", nil)
        let found = try NetworkLookup.resolve("2f259b", among: networks + [old])
        #expect(found.network.name == "podman" && found.network.id == "2f259bab93aaaaa2542ba43ef33eb990d0999ee1b9924b557b7be53c0b7a1bb9")
    }

    @Test("the store resolves every way, reads IDs of old files without rewriting them, and a new name ignores IDs")
    func store() throws {
        let directory = FileManager.default.temporaryDirectory.path + "/pontoonctl-lookup-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let paths = ControlPaths(stateDirectory: directory + "/state", configDirectory: directory + "/config", netnsDirectory: directory + "/ns",
                                 pluginDirectories: [], aardvarkBinary: "", selfDirectory: directory)
        let store = Store(paths: paths)
        for network in networks { try store.saveNetwork(network) }
        // An older pontoonctl's file: no "id" key at all.
        let oldText = #"{"backend":{"type":"netavark"},"network":{"driver":"bridge","name":"legacy"}}"#
        try Data(oldText.utf8).write(to: URL(fileURLWithPath: paths.configDirectory + "/legacy.json"))

        #expect(try store.network("front").network.id == networks[0].network.id)
        #expect(try store.network("cd").network.name == "cafe")
        let legacyID = NetworkLookup.derivedID("legacy")
        #expect(try store.network("legacy").network.id == legacyID)
        #expect(try store.network(String(legacyID.prefix(8))).network.name == "legacy")
        #expect(try store.networks().first { $0.network.name == "legacy" }?.network.id == legacyID)
        let stored = try String(contentsOfFile: paths.configDirectory + "/legacy.json", encoding: .utf8)
        #expect(stored == oldText)
        #expect(throws: CtlError.self) { try store.network("ab") }
        #expect(store.hasNetwork(named: "front") && !store.hasNetwork(named: "ab1"))
    }
}

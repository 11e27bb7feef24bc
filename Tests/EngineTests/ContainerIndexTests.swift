import Foundation
@testable import Pontoon
import Testing

/// `.containers/`: a container's records on other networks (host-port ownership) are found from
/// its own index entries, not by listing every network's records.
@Suite("Records: the per-container index")
struct ContainerIndexTests {
    static func record(_ containerID: String, on network: String, ifName: String = "eth0") -> AttachmentRecord {
        AttachmentRecord(id: AttachmentID(containerID: containerID, ifName: ifName), network: network, netns: nil, bridge: "br0",
                         hostInterface: "veth0", containerMAC: nil, addresses: [], portMappings: [])
    }

    static func files(under directory: String) -> [String] {
        let walker = FileManager.default.enumerator(atPath: directory)
        var found: [String] = []
        while let entry = walker?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: directory + "/" + entry, isDirectory: &isDirectory), !isDirectory.boolValue {
                found.append(entry)
            }
        }
        return found.sorted()
    }

    static func with(_ body: (RecordStore, String) throws -> Void) throws {
        let directory = NSTemporaryDirectory() + "pontoon-container-index-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try body(RecordStore(stateDirectory: directory), directory)
    }

    /// The hash names files that earlier Pontoons wrote (shortened record names, lease index
    /// entries): FNV-1a 128 as 32 lower-case hex digits, leading zeros kept.
    @Test("record and index names hash as FNV-1a 128, 32 hex digits")
    func nameHash() {
        #expect(RecordName.hash("") == "6c62272e07bb014262b821756295c58d")
        #expect(RecordName.hash("a") == "d228cb696f1a8caf78912b704e4a8964")
        #expect(RecordName.hash("foobar") == "343e1662793c64bf6f0d3597ba446f18")
        #expect(RecordName.hash("c0") == "0880954a15ab1be95aa0733055ba28ee")
        #expect(RecordName.hash("A03e5b1697edeff2765f75bef50b00c5505a963177bc84b52062ffe1d85a2e417\r\neth0") == "11c8bf83064c472b4ddc84ef7b9785b5")
    }

    @Test("records on other networks come from the container's entries; the last removal leaves no file")
    func lookups() throws {
        try Self.with { store, directory in
            for network in ["alpha", "beta", "gamma"] { try store.save(Self.record("c1", on: network)) }
            try store.save(Self.record("c1", on: "beta", ifName: "eth1"))
            try store.save(Self.record("c2", on: "alpha"))
            // The first lookup finds no complete index: every record is listed once and indexed.
            #expect(Set(store.records(ofContainer: "c1", excluding: ["alpha"]).map(\.network)) == ["beta", "gamma"])
            #expect(FileManager.default.fileExists(atPath: directory + "/.containers/.complete"))
            // From now on only the entries are read: a record nobody indexed is not seen.
            try store.save(Self.record("c1", on: "delta"))
            try FileManager.default.removeItem(atPath: directory + "/.containers/c1/delta@eth0")
            let found = store.records(ofContainer: "c1", excluding: [])
            #expect(found.map { "\($0.network)/\($0.ifName)" }.sorted() == ["alpha/eth0", "beta/eth0", "beta/eth1", "gamma/eth0"])
            #expect(store.records(ofContainer: "c2", excluding: []).map(\.network) == ["alpha"])

            // Records saved once the index is complete are found too.
            try store.save(Self.record("c2", on: "beta"))
            #expect(Set(store.records(ofContainer: "c2", excluding: ["alpha"]).map(\.network)) == ["beta"])

            for (containerID, network, ifName) in [("c1", "delta", "eth0"), ("c1", "alpha", "eth0"), ("c1", "beta", "eth0"), ("c1", "beta", "eth1"),
                                                   ("c1", "gamma", "eth0"), ("c2", "alpha", "eth0"), ("c2", "beta", "eth0")] {
                try store.remove(network: network, id: AttachmentID(containerID: containerID, ifName: ifName))
            }
            #expect(store.records(ofContainer: "c1", excluding: []).isEmpty)
            // Only directories stay (the flag, network folders): no file a cleanup check would see.
            #expect(Self.files(under: directory).isEmpty, "\(Self.files(under: directory))")
        }
    }

    @Test("an entry whose record is missing (a save killed halfway) is skipped, and goes with the DEL")
    func entryWithoutRecord() throws {
        try Self.with { store, directory in
            try store.save(Self.record("c1", on: "alpha"))
            _ = store.records(ofContainer: "c1", excluding: [])
            try store.save(Self.record("c1", on: "beta"))
            try FileManager.default.removeItem(atPath: directory + "/beta/c1@eth0.json")
            #expect(store.records(ofContainer: "c1", excluding: []).map(\.network) == ["alpha"])
            try store.remove(network: "beta", id: AttachmentID(containerID: "c1", ifName: "eth0"))
            try store.remove(network: "alpha", id: AttachmentID(containerID: "c1", ifName: "eth0"))
            #expect(Self.files(under: directory).isEmpty, "\(Self.files(under: directory))")
        }
    }

    @Test("a long container id gets a shortened folder, as record names do")
    func longID() throws {
        try Self.with { store, directory in
            let long = String(repeating: "a", count: 240)
            try store.save(Self.record(long, on: "alpha"))
            try store.save(Self.record(long, on: "beta"))
            _ = store.records(ofContainer: long, excluding: [])
            #expect(store.records(ofContainer: long, excluding: ["alpha"]).map(\.network) == ["beta"])
            let folders = try FileManager.default.contentsOfDirectory(atPath: directory + "/.containers").filter { $0 != ".complete" }
            #expect(folders.count == 1 && folders[0].contains("~") && folders[0].utf8.count < 255)
        }
    }
}

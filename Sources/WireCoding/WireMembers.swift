/// An object's members by Go's key rule (see `WireDecoder`), shared by the `Decodable` path
/// (`WireKeyedContainer`) and the plugin's own (`WireFields`). The keys are read when the object
/// is opened, so a bad key fails only an object some type reads, as before.
struct WireMembers {
    /// One member as the document spells it.
    struct Member {
        let key: String
        let node: JSONNode
    }

    /// The members in document order, each key once: of a key given twice, the first. A type
    /// walking them (a map of networks) meets them in the order the runtime wrote them.
    let members: [Member]
    /// Each key's position, for objects too large to search member by member; nil for the rest.
    /// Most objects have a handful of members: comparing a few keys costs less than hashing
    /// every key into a dictionary (and looking each field up by hash again).
    private let positions: [String: Int]?
    /// Each key by its lower-cased form, for fields not spelled exactly (of several casings, the
    /// first in byte order). Made on the first field that is not spelled exactly (an absent one
    /// included): most small objects never need it.
    private let folded: FoldedKeys
    /// A bit per key's `CaseSignature` (every bit when a key is not ASCII): most fields a type
    /// asks for are absent, and a name whose bit is clear is known absent in every casing without
    /// hashing it twice and lower-casing it (~1.3 K instructions each, 60 of them a CNI ADD).
    private let signatures: UInt64
    /// Objects of more members than this are searched through a dictionary (`positions`, and
    /// `JSONWriter.keyOrder`'s); smaller ones member by member.
    static let searchedInOrder = 16

    init(bytes: [UInt8], _ list: [(key: Range<Int>, value: JSONNode)]) throws {
        var members: [Member] = []
        var positions: [String: Int]? = list.count > Self.searchedInOrder ? [:] : nil
        var signatures: UInt64 = 0
        members.reserveCapacity(list.count)
        positions?.reserveCapacity(list.count)
        for (range, value) in list {
            let key = try rooted { () throws(MalformedJSON) in try JSONStrings.decode(bytes, range) }
            // Keys equal as Strings (canonically equivalent) are one key, as in a dictionary.
            if positions != nil {
                if positions![key] != nil { continue }
                positions![key] = members.count
            } else if members.contains(where: { $0.key == key }) {
                continue
            }
            members.append(Member(key: key, node: value))
            signatures |= CaseSignature.bit(of: key) ?? ~0
        }
        self.members = members
        self.positions = positions
        self.folded = FoldedKeys()
        self.signatures = signatures
    }

    /// The keys in document order.
    var order: [String] { members.map(\.key) }

    /// The member spelled `key` exactly (as `String`s compare).
    func node(_ key: String) -> JSONNode? {
        if let positions { return positions[key].map { members[$0].node } }
        return members.first { $0.key == key }?.node
    }

    /// The key as spelled in the document: exactly, else in any casing.
    func resolve(_ name: String) -> String? {
        if let bit = CaseSignature.bit(of: name), signatures & bit == 0 { return nil }
        if node(name) != nil { return name }
        return folded.keys(of: members)[name.lowercased()]
    }

    /// The member a field names, with its key as spelled.
    func member(_ name: String) -> (key: String, node: JSONNode)? {
        guard let found = resolve(name), let node = node(found) else { return nil }
        return (found, node)
    }
}

extension WireDecoder {
    /// Whether an optional field at `key` below this value fails the decode when unreadable:
    /// always without tolerance, and at the needed key paths with it.
    func isStrict(at key: any CodingKey) -> Bool {
        guard let tolerance else { return true }
        // `runtimeconfig.portmappings.hostport`: the key's path in the spelling of `needed`.
        let path = (codingPath.filter { $0.intValue == nil }.map(\.stringValue) + [key.stringValue])
            .map { $0.lowercased() }.joined(separator: ".")
        return tolerance.needed.contains(path)
    }

    /// This value as an object's members, or the error the keyed container gave.
    func objectMembers() throws -> WireMembers {
        guard case .object(let members) = node else { throw mismatch([String: Any].self, container: "keyed") }
        return try WireMembers(bytes: bytes, members)
    }

    /// This value as an array's elements, or the error the unkeyed container gave.
    func arrayElements() throws -> [JSONNode] {
        guard case .array(let elements) = node else { throw mismatch([Any].self, container: "unkeyed") }
        return elements
    }
}

/// `WireMembers`' keys by lower-cased form, made once, when first asked for.
private final class FoldedKeys {
    private var made: [String: String]?

    func keys(of members: [WireMembers.Member]) -> [String: String] {
        if let made { return made }
        var folded: [String: String] = [:]
        folded.reserveCapacity(members.count)
        for key in members.lazy.map(\.key) {
            let fold = key.lowercased()
            if let other = folded[fold], other < key { continue }
            folded[fold] = key
        }
        made = folded
        return folded
    }
}

/// What an ASCII key keeps in every casing: its length and its first letter lower-cased, folded
/// into one of 64 bits. Two ASCII keys that are equal ignoring case have the same bit; a key that
/// is not ASCII has none (`lowercased()` may change its length), and the caller then assumes any.
enum CaseSignature {
    static func bit(of key: String) -> UInt64? {
        key.utf8.withContiguousStorageIfAvailable(bit(of:)) ?? bit(of: Array(key.utf8))
    }

    private static func bit(of bytes: some Collection<UInt8>) -> UInt64? {
        guard !bytes.contains(where: { $0 >= 0x80 }) else { return nil }
        let first = bytes.first.map { $0 | ($0 >= 0x41 && $0 <= 0x5A ? 0x20 : 0) } ?? 0
        return 1 << UInt64((bytes.count &* 31 &+ Int(first)) & 63)
    }
}

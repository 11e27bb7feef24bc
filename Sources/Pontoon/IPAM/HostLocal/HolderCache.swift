import Glibc
import NetAddress

/// What each lease file of a store says, remembered between operations so ADD and DEL read only
/// the lease files they have not seen yet instead of every lease of the network (what the reference
/// plugin does, and what made ADD grow with the number of containers).
///
/// Kept in the store as `.pontoon-holders` (the reference plugin never reads it as a lease: it is no
/// address, and its contents never equal an attachment), written in place under the store's lock
/// and removed by the operation that leaves the store without leases, so an emptied store looks
/// exactly as the reference leaves it.
///
/// A fact is "file `<name>` with inode `<n>` holds the attachment whose digest is `<d>`". A lease
/// file is never rewritten (both plugins create it with O_EXCL and write it under the lock), so a
/// fact stays true for as long as that name has that inode; a name whose inode changed (the file
/// was removed and created again, by anyone) is read again. Facts are only hints: a file that a
/// fact ties to the attachment at hand is read before anything is decided or removed, so an inode
/// number reused for the same name by another plugin's writes cannot make a DEL remove a lease that
/// is not its own. A cache that is missing, cut short or unreadable is simply empty.
struct HolderCache {
    static let fileName = ".pontoon-holders"
    private static let header = "pontoon-holders 1"

    struct Fact: Equatable {
        var inode: UInt64
        var digest: UInt64
    }

    /// Lease file name -> fact.
    var facts: [String: Fact] = [:]

    /// FNV-1a (64 bits) of a holder's canonical form: equal holders, equal digests.
    static func digest(of holder: Lease.Holder) -> UInt64 {
        let text: String
        switch holder {
        case .attachment(let id): text = "A" + id.containerID + "\r\n" + id.ifName
        case .container(let containerID): text = "C" + containerID
        }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return hash
    }

    /// The digests a lease of `id` can have: its pair, a legacy file of its container, and an
    /// abandoned (empty) file, which every release takes.
    static func digests(of id: AttachmentID) -> Set<UInt64> {
        let containerID = Lease.trimmingSpace(id.containerID)
        return [digest(of: .attachment(AttachmentID(containerID: containerID, ifName: id.ifName))),
                digest(of: .container(containerID)), digest(of: .container(""))]
    }

    /// Parsed over bytes (no Character-level splitting: a large network's cache is thousands of lines).
    static func load(directory: String) -> HolderCache {
        guard let bytes = try? FileSystem.readFile(directory + "/" + fileName, limit: 64 << 20) else { return HolderCache() }
        let newline = UInt8(ascii: "\n"), space = UInt8(ascii: " ")
        var lines: [ArraySlice<UInt8>] = []
        var start = bytes.startIndex
        for index in bytes.indices where bytes[index] == newline {
            lines.append(bytes[start..<index])
            start = index + 1
        }
        // Header, facts, "end <count>", each ending in a newline: anything else is a write cut short.
        guard start == bytes.endIndex, lines.count >= 2, lines[0].elementsEqual(header.utf8),
              lines[lines.count - 1].elementsEqual("end \(lines.count - 2)".utf8) else { return HolderCache() }
        var cache = HolderCache()
        cache.facts.reserveCapacity(lines.count - 2)
        for line in lines[1..<(lines.count - 1)] {
            let fields = line.split(separator: space)
            guard fields.count == 3, let inode = number(fields[1], radix: 10), let digest = number(fields[2], radix: 16) else {
                return HolderCache()
            }
            cache.facts[String(decoding: fields[0], as: UTF8.self)] = Fact(inode: inode, digest: digest)
        }
        return cache
    }

    private static func number(_ digits: ArraySlice<UInt8>, radix: UInt64) -> UInt64? {
        guard !digits.isEmpty, digits.count <= 20 else { return nil }
        var value: UInt64 = 0
        for byte in digits {
            let digit: UInt64
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt64(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f") where radix == 16: digit = UInt64(byte - UInt8(ascii: "a") + 10)
            default: return nil
            }
            let (shifted, overflow) = value.multipliedReportingOverflow(by: radix)
            guard !overflow else { return nil }
            value = shifted &+ digit
        }
        return value
    }

    /// Writes the cache in place (the store's lock is held: nobody reads it meanwhile; a write cut
    /// short fails `load`'s end check and reads as empty).
    func save(directory: String) throws {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(64 * (facts.count + 2))
        bytes += Self.header.utf8
        bytes.append(UInt8(ascii: "\n"))
        for (name, fact) in facts {
            bytes += name.utf8
            bytes.append(UInt8(ascii: " "))
            bytes += String(fact.inode).utf8
            bytes.append(UInt8(ascii: " "))
            bytes += String(fact.digest, radix: 16).utf8
            bytes.append(UInt8(ascii: "\n"))
        }
        bytes += "end \(facts.count)\n".utf8
        try FileSystem.writeFile(directory + "/" + Self.fileName, contents: bytes, mode: LeaseStore.fileMode)
    }

    static func remove(directory: String) throws {
        try FileSystem.remove(directory + "/" + fileName)
    }
}

/// The lease files of a store as one operation found them, with the cache brought up to date.
struct LeaseSurvey {
    /// Every lease file (a regular file named by an address in Go's text form) and its inode.
    var files: [String: UInt64] = [:]
    var cache = HolderCache()
    /// Whether the cache on disk differs from `cache`.
    var changed = false

    /// Whether `address` has a lease file.
    func isLeased(_ address: IPAddress) -> Bool { files[address.description] != nil }

    /// Addresses whose lease may belong to `id` (or is abandoned): to be read before use.
    func candidates(of id: AttachmentID) -> [IPAddress] {
        let wanted = HolderCache.digests(of: id)
        return files.keys.compactMap { name in
            cache.facts[name].flatMap { wanted.contains($0.digest) ? IPAddress(name) : nil }
        }.sorted()
    }
}

extension LeaseStore {
    /// Lists the store (names and inodes: one getdents pass, no file opened) and reads only the
    /// lease files the cache does not know. Names the cache knows are not even parsed again. The
    /// caller holds the lock.
    func survey(after previous: LeaseSurvey? = nil) throws -> LeaseSurvey {
        var survey = LeaseSurvey(cache: previous?.cache ?? HolderCache.load(directory: directory), changed: previous?.changed ?? false)
        let entries = try FileSystem.listDirectoryEntries(directory) ?? []
        survey.files.reserveCapacity(entries.count)
        for (name, inode) in entries {
            if let fact = survey.cache.facts[name], fact.inode == inode {
                survey.files[name] = inode
                continue
            }
            // New to us, or made again since: read it (only a regular file named by an address in
            // Go's text form is a lease).
            guard let address = IPAddress(name), address.description == name, let holder = try holder(of: address) else { continue }
            survey.files[name] = inode
            survey.cache.facts[name] = HolderCache.Fact(inode: inode, digest: HolderCache.digest(of: holder))
            survey.changed = true
        }
        if survey.cache.facts.count != survey.files.count {
            survey.cache.facts = survey.cache.facts.filter { survey.files[$0.key] != nil }
            survey.changed = true
        }
        return survey
    }

    /// After `id` reserved `addresses` (their files are new, and the lock was held since `previous`,
    /// so nothing else changed): their facts join the cache without listing the store again, a
    /// listing that grows with the network. Falls back to the listing if a file cannot be seen.
    func rememberHolders(reserved addresses: [IPAddress], for id: AttachmentID, after previous: LeaseSurvey) throws {
        var survey = previous
        // The holder as a later survey would read it back from the file.
        let digest = HolderCache.digest(of: Lease.Holder(contents: Lease.Holder.contents(for: id)))
        for address in addresses {
            let name = address.description
            var info = stat()
            guard stat(path(name), &info) == 0 else { return try rememberHolders(after: previous) }
            survey.files[name] = UInt64(info.st_ino)
            survey.cache.facts[name] = HolderCache.Fact(inode: UInt64(info.st_ino), digest: digest)
            survey.changed = true
        }
        try keep(survey)
    }

    /// After an operation changed the store: survey again (reading only what it made) and keep the
    /// cache, or remove it when no lease is left. Only a cache left in an empty store is an error
    /// (it would stay behind); a cache that cannot be written otherwise just goes.
    func rememberHolders(after previous: LeaseSurvey? = nil) throws {
        try keep(try survey(after: previous))
    }

    private func keep(_ survey: LeaseSurvey) throws {
        if survey.files.isEmpty {
            try HolderCache.remove(directory: directory)
            return
        }
        guard survey.changed else { return }
        do {
            try survey.cache.save(directory: directory)
        } catch {
            _ = try? HolderCache.remove(directory: directory)
        }
    }
}

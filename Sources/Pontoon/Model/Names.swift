/// The engine's rules for the names a request carries, whichever door it came through: container
/// ids and network names become file names (records, lease stores), interface names go to the
/// kernel. Both doors refuse the same bad name with the same reason.
public enum Names {
    /// Container ids and network names: an ASCII letter or digit, then letters, digits, `_`, `.`,
    /// `-` (libcni's rule; podman's too). No `/` and no leading `.`, so never a path.
    public static func isValid(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, isAlphanumeric(first) else { return false }
        return name.unicodeScalars.allSatisfy { isAlphanumeric($0) || $0 == "_" || $0 == "." || $0 == "-" }
    }

    /// Why `name` cannot be a Linux interface name, or nil when it can: 1 to 15 bytes, not `.`
    /// or `..`, no `/`, `:`, `%` or whitespace.
    public static func interfaceNameProblem(_ name: String) -> String? {
        if name.isEmpty { return "empty" }
        if name.utf8.count > 15 { return "longer than 15 bytes" }
        if name == "." || name == ".." { return "\".\" and \"..\" are reserved" }
        if name.unicodeScalars.contains(where: { $0 == "/" || $0 == ":" || $0.properties.isWhitespace }) {
            return "contains / or : or whitespace"
        }
        // The kernel takes a name with % as a template ("eth%d" is made as eth0, the first free
        // number): the interface would not carry the name the caller keeps for DEL and CHECK.
        if name.contains("%") { return "contains %, which the kernel takes as a name template" }
        return nil
    }

    public static func validateContainerID(_ id: String) throws(PontoonError) {
        guard isValid(id) else {
            throw PontoonError(.invalidRequest, "invalid container id \"\(id.prefix(80))\"",
                               details: "a container id starts with a letter or digit and holds only letters, digits, '_', '.', '-'")
        }
    }

    public static func validateNetworkName(_ name: String) throws(PontoonError) {
        guard !name.isEmpty else { throw PontoonError(.invalidConfiguration, "missing network name") }
        guard isValid(name) else {
            throw PontoonError(.invalidConfiguration, "invalid network name \"\(name)\"",
                               details: "a name starts with a letter or digit and holds only letters, digits, '_', '.', '-'")
        }
    }

    /// `what` names the field in the message, e.g. "bridge name" or "interface_name".
    public static func validateInterfaceName(_ name: String, what: String, kind: PontoonError.Kind = .invalidConfiguration) throws(PontoonError) {
        if let problem = interfaceNameProblem(name) {
            throw PontoonError(kind, "invalid \(what) \"\(name)\": \(problem)")
        }
    }

    private static func isAlphanumeric(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
    }
}

/// Limits on a network's numbers, the one home of each: both doors and the engine check against these.
public enum NetworkLimits {
    public static let mtu = 68...65535
    public static let vlan = 1...4094
    public static let port = 1...65535

    /// Whether `count` consecutive ports from `first` are all valid ports.
    public static func portRange(from first: Int, count: Int) -> Bool {
        count >= 1 && port.contains(first) && port.contains(first + count - 1)
    }

    public static func validateMTU(_ mtu: Int, key: String) throws(PontoonError) {
        guard mtu.isInRange(Self.mtu) else {
            throw PontoonError(.invalidConfiguration, "invalid \(key) \(mtu): must be between 68 and 65535")
        }
    }

    public static func validateVLAN(_ vlan: Int, key: String) throws(PontoonError) {
        guard vlan.isInRange(Self.vlan) else {
            throw PontoonError(.invalidConfiguration, "invalid \(key) \(vlan): must be between 0 and 4094")
        }
    }
}

private extension Int {
    func isInRange(_ range: ClosedRange<Int>) -> Bool { range.contains(self) }
}

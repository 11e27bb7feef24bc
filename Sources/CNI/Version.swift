import WireCoding

/// A CNI spec version (`major.minor.patch`), ordered numerically.
public struct CNIVersion: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var major: Int, minor: Int, patch: Int

    public init(_ major: Int, _ minor: Int, _ patch: Int) {
        self.major = major
        self.minor = minor
        self.patch = patch
    }

    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3,
              parts.allSatisfy({ !$0.isEmpty && $0.count <= 4 && $0.allSatisfy { $0.isASCII && $0.isNumber } }),
              let major = Int(parts[0]), let minor = Int(parts[1]), let patch = Int(parts[2]) else { return nil }
        self.init(major, minor, patch)
    }

    public var description: String { "\(major).\(minor).\(patch)" }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.major, lhs.minor, lhs.patch) < (rhs.major, rhs.minor, rhs.patch)
    }

    /// Every version Pontoon speaks, oldest first; the Result format follows the requested one.
    public static let supported: [CNIVersion] = [
        CNIVersion(0, 1, 0), CNIVersion(0, 2, 0), CNIVersion(0, 3, 0), CNIVersion(0, 3, 1),
        CNIVersion(0, 4, 0), CNIVersion(1, 0, 0), CNIVersion(1, 1, 0),
    ]
    public static let latest = CNIVersion(1, 1, 0)

    public var isSupported: Bool { Self.supported.contains(self) }

    /// The supported version a config declares, read leniently: errors found before the config is
    /// fully decoded still answer in the caller's version when it can be told.
    public static func declared(in config: [UInt8]) -> CNIVersion? {
        guard let text = try? JSONCoding.read(DeclaredVersion.self, from: config, what: "version").cniVersion,
              let version = CNIVersion(text), version.isSupported else { return nil }
        return version
    }

    /// The Result layout this version uses.
    public var resultFormat: ResultFormat {
        if self < CNIVersion(0, 3, 0) { return .legacy }
        if self < CNIVersion(1, 0, 0) { return .versionedIPs }
        if self < CNIVersion(1, 1, 0) { return .v1 }
        return .v1_1
    }

    /// STATUS and GC only exist from 1.1.0 on.
    public var hasStatusAndGC: Bool { self >= CNIVersion(1, 1, 0) }
    /// CHECK only exists from 0.4.0 on.
    public var hasCheck: Bool { self >= CNIVersion(0, 4, 0) }
}

/// A document's `cniVersion` alone (a config's, a VERSION request's), read as `Decodable` would.
struct DeclaredVersion: Decodable, WireDecodable {
    var cniVersion: String?

    init(wire value: WireReader) throws {
        cniVersion = try value.object().decodeIfPresent(CodingKeys.cniVersion)
    }
}

/// The shapes a CNI Result has taken over the spec's history.
public enum ResultFormat: Sendable {
    /// 0.1.0 and 0.2.0: `ip4`/`ip6` objects.
    case legacy
    /// 0.3.0 to 0.4.0: `interfaces`, `ips` carrying `version`.
    case versionedIPs
    /// 1.0.0: `ips` without `version`.
    case v1
    /// 1.1.0: adds interface `mtu` and route `mtu/advmss/priority/table/scope`.
    case v1_1
}

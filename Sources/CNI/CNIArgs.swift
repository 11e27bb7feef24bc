import NetAddress

/// `CNI_ARGS`: `KEY=VALUE` pairs separated by `;`. Pontoon reads `IP` and `MAC` (how podman passes
/// `--ip` and `--mac-address`); other keys are an error unless `IgnoreUnknown` is true, as in the
/// reference plugins. The Kubernetes pod keys are tolerated because runtimes send them routinely.
public struct CNIArgs: Sendable, Equatable {
    public var pairs: [(key: String, value: String)] = []
    public var ignoreUnknown = false
    public var ips: [IPAddress] = []
    public var mac: MACAddress?

    static let tolerated: Set<String> = [
        "IgnoreUnknown", "IP", "MAC",
        "K8S_POD_NAME", "K8S_POD_NAMESPACE", "K8S_POD_INFRA_CONTAINER_ID", "K8S_POD_UID",
    ]

    public init() {}

    /// DEL's reading: tearing down needs nothing from `CNI_ARGS`, so nothing in it can fail a DEL
    /// (a stale or malformed `IP=`, `MAC=` or unknown key is simply not used).
    public init(tolerating text: String) {
        for segment in text.split(separator: ";", omittingEmptySubsequences: true) {
            guard let equals = segment.firstIndex(of: "="), equals != segment.startIndex else { continue }
            pairs.append((String(segment[..<equals]), String(segment[segment.index(after: equals)...])))
        }
    }

    public init(parsing text: String) throws(CNIError) {
        for segment in text.split(separator: ";", omittingEmptySubsequences: true) {
            guard let equals = segment.firstIndex(of: "="), equals != segment.startIndex else {
                throw CNIError(.invalidEnvironment, "CNI_ARGS: invalid pair \"\(segment)\", expected KEY=VALUE")
            }
            pairs.append((String(segment[..<equals]), String(segment[segment.index(after: equals)...])))
        }
        if let value = pairs.last(where: { $0.key == "IgnoreUnknown" })?.value {
            switch value.lowercased() {
            case "1", "true": ignoreUnknown = true
            case "0", "false": ignoreUnknown = false
            default: throw CNIError(.invalidEnvironment, "CNI_ARGS: IgnoreUnknown=\(value) is not a boolean")
            }
        }
        for (key, value) in pairs {
            switch key {
            case "IP":
                // podman sends one address; a comma-separated list is accepted, as newer host-local does.
                for item in value.split(separator: ",") {
                    guard let ip = parseRequestedIP(String(item)) else {
                        throw CNIError(.invalidEnvironment, "CNI_ARGS: IP=\(item) is not an IP address")
                    }
                    ips.append(ip)
                }
            case "MAC":
                guard let parsed = MACAddress(value) else {
                    throw CNIError(.invalidEnvironment, "CNI_ARGS: MAC=\(value) is not a MAC address")
                }
                mac = parsed
            case _ where Self.tolerated.contains(key) || ignoreUnknown:
                continue
            default:
                throw CNIError(.invalidEnvironment, "CNI_ARGS: unknown key \"\(key)\" (set IgnoreUnknown=1 to allow it)")
            }
        }
    }

    public static func == (lhs: CNIArgs, rhs: CNIArgs) -> Bool {
        lhs.pairs.map(\.key) == rhs.pairs.map(\.key) && lhs.pairs.map(\.value) == rhs.pairs.map(\.value)
            && lhs.ignoreUnknown == rhs.ignoreUnknown && lhs.ips == rhs.ips && lhs.mac == rhs.mac
    }
}

/// A requested address may be written bare or with a prefix (`10.1.0.5/24`), as host-local accepts.
public func parseRequestedIP(_ text: String) -> IPAddress? {
    IPAddress(text) ?? IPNetwork(text)?.address
}

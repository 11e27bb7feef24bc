/// What `--network NET[:ip=…,mac=…,interface=…,alias=…]` and `connect` ask for.
public struct AttachRequest: Sendable, Equatable {
    public var network: String
    public var ips: [String] = []
    public var mac: String?
    public var interface: String?
    public var aliases: [String] = []

    public init(network: String, ips: [String] = [], mac: String? = nil, interface: String? = nil, aliases: [String] = []) {
        self.network = network
        self.ips = ips
        self.mac = mac
        self.interface = interface
        self.aliases = aliases
    }

    /// `NET[:ip=…,mac=…,interface=…,alias=…]` (keys may repeat for several IPs or aliases).
    public static func parse(_ text: String) throws(CtlError) -> AttachRequest {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        guard let name = parts.first, !name.isEmpty else { throw CtlError(.usage, "--network \"\(text)\" names no network") }
        var request = AttachRequest(network: name)
        guard parts.count == 2 else { return request }
        for option in parts[1].split(separator: ",") {
            let pair = option.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2, !pair[1].isEmpty else { throw CtlError(.usage, "--network \(text): \"\(option)\" is not key=value") }
            switch pair[0] {
            case "ip", "ip6": request.ips.append(pair[1])
            case "mac": request.mac = pair[1]
            case "interface", "interface_name": request.interface = pair[1]
            case "alias": request.aliases.append(pair[1])
            default: throw CtlError(.usage, "--network \(text): unknown option \(pair[0]) (ip, mac, interface, alias)")
            }
        }
        return request
    }
}

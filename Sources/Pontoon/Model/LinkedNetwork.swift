/// A network whose containers get a link on a host device instead of a bridge port: macvlan or
/// ipvlan. Set on `BridgeNetwork.linked`, it picks `LinkedDriver`; the bridge keys do not apply.
public struct LinkedNetwork: Sendable, Equatable {
    public enum Driver: String, Sendable {
        case macvlan, ipvlan

        /// The modes the kernel knows for the driver, the default first.
        public var modes: [String] {
            switch self {
            case .macvlan: ["bridge", "private", "vepa", "passthru"]
            case .ipvlan: ["l2", "l3", "l3s"]
            }
        }

        /// The modes netavark takes: macvlan's `source` too (a link that receives only from a list
        /// of source MACs, which the kernel starts empty). The CNI reference plugin refuses it.
        public var netavarkModes: [String] {
            switch self {
            case .macvlan: modes + ["source"]
            case .ipvlan: modes
            }
        }
    }

    public var driver: Driver
    public var mode: String
    /// The host device the links hang off; nil: the one holding the host's default route.
    public var parent: String?
    /// The parent lives in the container's namespace, not the host's (CNI `linkInContainer`):
    /// looked up, and the link made, there.
    public var parentInContainer = false
    /// false: IPv6 autoconf off on the container's link, as netavark does (the LAN's router
    /// advertisements then add no SLAAC addresses and routes beside IPAM's); true leaves the
    /// kernel's default, as the CNI reference plugins do.
    public var ipv6Autoconf = true

    /// `mode` nil or empty is the driver's default; a name not in `accepted` (the door's list; by
    /// default `driver.modes`) is refused.
    public init(driver: Driver, mode: String?, parent: String?, network: String, accepted: [String]? = nil) throws(PontoonError) {
        self.driver = driver
        let mode = mode.flatMap { $0.isEmpty ? nil : $0 } ?? driver.modes[0]
        let accepted = accepted ?? driver.modes
        guard accepted.contains(mode) else {
            throw PontoonError(.invalidConfiguration, "network \(network): \(driver.rawValue) mode \"\(mode)\" is not one of "
                               + accepted.joined(separator: ", "))
        }
        self.mode = mode
        self.parent = parent.flatMap { $0.isEmpty ? nil : $0 }
    }
}

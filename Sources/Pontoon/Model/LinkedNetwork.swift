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
    }

    public var driver: Driver
    public var mode: String
    /// The host device the links hang off; nil: the one holding the host's default route.
    public var parent: String?
    /// The parent lives in the container's namespace, not the host's (CNI `linkInContainer`):
    /// looked up, and the link made, there.
    public var parentInContainer = false

    /// `mode` nil or empty is the driver's default; any other name the kernel does not know is refused.
    public init(driver: Driver, mode: String?, parent: String?, network: String) throws(PontoonError) {
        self.driver = driver
        let mode = mode.flatMap { $0.isEmpty ? nil : $0 } ?? driver.modes[0]
        guard driver.modes.contains(mode) else {
            throw PontoonError(.invalidConfiguration, "network \(network): \(driver.rawValue) mode \"\(mode)\" is not one of "
                               + driver.modes.joined(separator: ", "))
        }
        self.mode = mode
        self.parent = parent.flatMap { $0.isEmpty ? nil : $0 }
    }
}

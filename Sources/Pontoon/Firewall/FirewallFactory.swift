/// Which code writes a network's rules, by kind. Everything in the engine that touches a firewall
/// asks this for the driver of the kind the network was made with, so the choice is made in one
/// place, and tests can hand the engine a recording fake instead of the kernel.
public struct FirewallFactory {
    private let make: (FirewallKind) -> any Firewall

    public init(_ make: @escaping (FirewallKind) -> any Firewall) {
        self.make = make
    }

    /// The real drivers; `stateDirectory` is where they keep what the kernel cannot (host-port claims).
    public static func system(stateDirectory: String) -> FirewallFactory {
        FirewallFactory { $0.driver(stateDirectory: stateDirectory) }
    }

    public func driver(_ kind: FirewallKind) -> any Firewall { make(kind) }
}

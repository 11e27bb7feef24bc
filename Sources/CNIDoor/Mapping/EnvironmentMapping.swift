import CNI
import Pontoon

extension CNIEnvironment {
    /// The environment with the engine's name rules applied: the container id becomes file names
    /// (records, leases) and the interface name goes to the kernel, so both are refused here with
    /// the CNI wording (code 4), before anything else is read.
    public init(validating env: [String: String]) throws(CNIError) {
        try self.init(env)
        if let containerID { try Self.validate(containerID: containerID) }
        if let ifName { try Self.validate(ifName: ifName) }
    }

    /// `^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$`, as libcni enforces.
    public static func validate(containerID: String) throws(CNIError) {
        guard Names.isValid(containerID) else {
            throw CNIError(.invalidEnvironment, "invalid characters in CNI_CONTAINERID", details: containerID)
        }
    }

    /// A Linux interface name: 1 to 15 bytes, not `.` or `..`, no `/`, `:` or whitespace.
    public static func validate(ifName: String) throws(CNIError) {
        if let problem = Names.interfaceNameProblem(ifName) {
            throw CNIError(.invalidEnvironment, "invalid CNI_IFNAME \"\(ifName)\": \(problem)")
        }
    }
}

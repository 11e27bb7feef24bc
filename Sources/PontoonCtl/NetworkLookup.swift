import Crypto
import Foundation

/// How every command finds a network (libpod's `normalizeNetworkName`, netavark's `getNetwork`): by
/// name first, then by ID — the full 64 hex digits or any prefix that only one network's ID has.
/// Records keep the network's name, so callers resolve once and store `network.name`.
public enum NetworkLookup {
    /// The ID of a network file that has none (written before pontoonctl kept IDs): the SHA-256 of
    /// its name. Derived, not stored, so such a file keeps working unchanged and shows the same ID
    /// every time; it is the ID podman gives its default network `podman`.
    public static func derivedID(_ name: String) -> String {
        SHA256.hash(data: Array(name.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// The file with its ID filled in when it has none.
    static func withID(_ file: NetworkFile) -> NetworkFile {
        guard (file.network.id ?? "").isEmpty else { return file }
        var file = file
        file.network.id = derivedID(file.network.name)
        return file
    }

    public static func resolve(_ nameOrID: String, among networks: [NetworkFile]) throws(CtlError) -> NetworkFile {
        let networks = networks.map(withID)
        if let named = networks.first(where: { $0.network.name == nameOrID }) { return named }
        let matches = networks.filter { $0.network.id!.hasPrefix(nameOrID) }
        if matches.count > 1 {
            throw CtlError(.conflict, "more than one result for network ID \(nameOrID): "
                           + matches.map(\.network.name).sorted().joined(separator: ", "))
        }
        guard let match = matches.first else {
            throw CtlError(.notFound, "unable to find network with name or ID \(nameOrID): network not found")
        }
        return match
    }
}

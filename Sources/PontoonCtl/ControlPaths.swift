import Foundation

/// Where pontoonctl keeps things, from the global options.
public struct ControlPaths: Sendable {
    public var stateDirectory: String
    public var configDirectory: String
    public var netnsDirectory: String
    public var pluginDirectories: [String]
    public var aardvarkBinary: String
    /// Where pontoonctl itself lives: pontoon is looked for beside it first.
    public var selfDirectory: String
    /// Set when a user other than root runs pontoonctl: containers then need the rootless checks.
    public var rootless: RootlessEnvironment?
    /// The command every plugin runs through: none for root, the rootless netns for a rootless
    /// container (`RootlessNetNS.pluginPrefix`).
    var pluginPrefix: [String] = []

    public init(stateDirectory: String, configDirectory: String, netnsDirectory: String, pluginDirectories: [String],
                aardvarkBinary: String, selfDirectory: String, rootless: RootlessEnvironment? = nil) {
        self.stateDirectory = stateDirectory
        self.configDirectory = configDirectory
        self.netnsDirectory = netnsDirectory
        self.pluginDirectories = pluginDirectories
        self.aardvarkBinary = aardvarkBinary
        self.selfDirectory = selfDirectory
        self.rootless = rootless
    }

    /// root's defaults, which a rootless user's replace (`RootlessEnvironment`).
    public static let rootStateDirectory = "/run/pontoon/ctl"
    public static let rootConfigDirectory = "/etc/pontoon/networks"
    public static let rootNetnsDirectory = "/run/netns"

    public static let defaultPluginDirectories = ["/usr/lib/cni", "/opt/cni/bin"]

    /// CNI_PATH: the user's plugin dirs, then the standard ones.
    public var searchPath: [String] { [selfDirectory] + pluginDirectories + Self.defaultPluginDirectories }

    /// A plugin by name (`pontoon`, `bridge`, …) or an absolute path.
    public func plugin(_ name: String) throws(CtlError) -> String {
        if name.hasPrefix("/") {
            guard FileManager.default.isExecutableFile(atPath: name) else { throw CtlError(.notFound, "plugin \(name) is not an executable") }
            return name
        }
        guard !name.isEmpty, !name.contains("/") else { throw CtlError(.usage, "plugin name \"\(name)\" is not a plain name") }
        for directory in searchPath where FileManager.default.isExecutableFile(atPath: directory + "/" + name) {
            return directory + "/" + name
        }
        throw CtlError(.notFound, "plugin \(name) not found in \(searchPath.joined(separator: ", "))")
    }

    var containersDirectory: String { stateDirectory + "/containers" }
    func containerDirectory(_ name: String) -> String { containersDirectory + "/" + name }
    var locksDirectory: String { stateDirectory + "/locks" }
    var ipamDirectory: String { stateDirectory + "/ipam" }
    var cniCacheDirectory: String { stateDirectory + "/cni-results" }
    /// `--config` of netavark-protocol plugins: their records, leases and aardvark-dns config.
    /// A rootless user's is podman's, in the runtime directory.
    var netavarkConfigDirectory: String {
        guard let rootless else { return stateDirectory + "/netavark" }
        return rootless.runtimeDirectoryValue + "/containers/networks"
    }
}

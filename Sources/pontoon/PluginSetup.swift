import CNI
import Pontoon

/// What both CNI-speaking doors derive from a request besides the attachment itself.
enum PluginSetup {
    static let defaultStateDirectory = "/run/pontoon"

    /// Diagnostics go to `logFile` (config) or `PONTOON_LOG_FILE` (env, wins); never to stderr.
    static func configureLog(_ request: CNIRequest, environment: [String: String], door: String) {
        guard let path = environment["PONTOON_LOG_FILE"] ?? request.config.logFile, !path.isEmpty else { return }
        let levelName = environment["PONTOON_LOG_LEVEL"] ?? request.config.logLevel ?? "info"
        let id = request.environment.containerID.map { " \($0)/\(request.environment.ifName ?? "")" } ?? ""
        Log.configure(path: path, level: Log.Level(name: levelName) ?? .info,
                      prefix: "\(door) \(request.command.rawValue) net=\(request.config.name ?? "?")\(id)")
    }

    /// Where attachment records live: `stateDir` (config), `PONTOON_STATE_DIR` (env), or /run/pontoon.
    static func stateDirectory(_ request: CNIRequest, environment: [String: String]) throws(CNIError) -> String {
        let path = request.config.stateDir ?? environment["PONTOON_STATE_DIR"] ?? defaultStateDirectory
        guard path.hasPrefix("/"), !path.split(separator: "/").contains("..") else {
            throw CNIError(.invalidNetworkConfig, "invalid stateDir \"\(path)\": must be an absolute path without \"..\"")
        }
        return path
    }

    static func allocator(_ plan: IPAMPlan, request: CNIRequest) -> (any AddressAllocator)? {
        switch plan {
        case .none: nil
        case .hostLocal(let config): HostLocalAllocator(config: config)
        case .delegated(let type): DelegatedIPAM(type: type, request: request)
        }
    }
}

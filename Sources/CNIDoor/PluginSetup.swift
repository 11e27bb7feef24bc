import CNI
import Pontoon

/// What both CNI-speaking doors derive from a request besides the attachment itself.
public enum PluginSetup {
    public static let defaultStateDirectory = "/run/pontoon"

    /// Diagnostics go to `logFile` (config) or `PONTOON_LOG_FILE` (env, wins); never to stderr.
    static func configureLog(_ request: CNIRequest, environment: [String: String], door: String) throws {
        let key = environment["PONTOON_LOG_FILE"] != nil ? "PONTOON_LOG_FILE" : "logFile"
        guard let given = environment["PONTOON_LOG_FILE"] ?? request.config.logFile, !given.isEmpty else { return }
        let path = try ConfigPath.validated(given, key: key)
        let levelName = environment["PONTOON_LOG_LEVEL"] ?? request.config.logLevel ?? "info"
        let id = request.environment.containerID.map { " \($0)/\(request.environment.ifName ?? "")" } ?? ""
        Log.configure(path: path, level: Log.Level(name: levelName) ?? .info,
                      prefix: "\(door) \(request.command.rawValue) net=\(request.config.name ?? "?")\(id)")
    }

    /// Where attachment records live: `stateDir` (config), `PONTOON_STATE_DIR` (env), or /run/pontoon.
    static func stateDirectory(_ request: CNIRequest, environment: [String: String]) throws(CNIError) -> String {
        let key = request.config.stateDir != nil ? "stateDir" : "PONTOON_STATE_DIR"
        let path = request.config.stateDir ?? environment["PONTOON_STATE_DIR"] ?? defaultStateDirectory
        do {
            return try ConfigPath.validated(path, key: key)
        } catch {
            throw CNIError(error)
        }
    }

    static func allocator(_ plan: IPAMPlan, request: CNIRequest) -> (any AddressAllocator)? {
        switch plan {
        case .none: nil
        case .hostLocal(let config): HostLocalAllocator(config: config)
        case .delegated(let type): DelegatedIPAM(type: type, request: request)
        }
    }
}

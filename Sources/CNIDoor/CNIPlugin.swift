import CNI
import Pontoon

/// A plugin served through the CNI protocol (the bridge door and the standalone host-local IPAM
/// door). Each says only how it serves a decoded request; `run` does what every CNI plugin does
/// around that: read the environment, answer VERSION, decode, set up logging, and turn any failure
/// into the error document.
public protocol CNIPlugin {
    /// The door's name in the log.
    static var name: String { get }
    static func serve(_ request: CNIRequest, environment: [String: String]) throws -> CNIServed
}

/// What a door's work produced: the document to print, and how to undo the work if it cannot be.
public struct CNIServed {
    var output: [UInt8] = []
    var undo: (() -> Void)? = nil
}

extension CNIPlugin {
    public static func run(environment: [String: String], stdin: [UInt8]) -> PluginAnswer {
        var version: CNIVersion?
        do {
            let cniEnvironment = try CNIEnvironment(validating: environment)
            if cniEnvironment.command == .version {
                return PluginAnswer(output: try VersionInfo(stdin: stdin).json, status: 0)
            }
            let request = try CNIRequest(environment: cniEnvironment, stdin: stdin)
            version = request.version
            do {
                try PluginSetup.configureLog(request, environment: environment, door: name)
            } catch where request.command == .del {
                // A log that cannot be opened must not keep DEL from tearing down.
            }
            Timing.mark("decode")
            let served = try serve(request, environment: environment)
            Log.info("ok")
            return PluginAnswer(output: served.output, status: 0, undo: served.undo)
        } catch {
            let cniError = CNIError(any: error)
            Log.error("failed: \(cniError)")
            return PluginAnswer(output: cniError.json(version: version ?? CNIVersion.declared(in: stdin)), status: 1)
        }
    }
}

import CNI
import Pontoon

/// What every CNI-speaking door does around its own work: read the environment, answer VERSION,
/// decode the request, set up logging, and turn any failure into the error document.
enum CNIInvocation {
    /// What a door's work produced: the document to print, and how to undo the work if it cannot be.
    struct Served {
        var output: [UInt8] = []
        var undo: (() -> Void)? = nil
    }

    static func answer(environment: [String: String], stdin: [UInt8], door: String,
                       serve: (CNIRequest) throws -> Served) -> PluginAnswer {
        var version: CNIVersion?
        do {
            let cniEnvironment = try CNIEnvironment(validating: environment)
            if cniEnvironment.command == .version {
                return PluginAnswer(output: try VersionInfo(stdin: stdin).json, status: 0)
            }
            let request = try CNIRequest(environment: cniEnvironment, stdin: stdin)
            version = request.version
            do {
                try PluginSetup.configureLog(request, environment: environment, door: door)
            } catch where request.command == .del {
                // A log that cannot be opened must not keep DEL from tearing down.
            }
            Timing.mark("decode")
            let served = try serve(request)
            Log.info("ok")
            return PluginAnswer(output: served.output, status: 0, undo: served.undo)
        } catch {
            let cniError = CNIError(any: error)
            Log.error("failed: \(cniError)")
            return PluginAnswer(output: cniError.json(version: version ?? CNIVersion.declared(in: stdin)), status: 1)
        }
    }
}

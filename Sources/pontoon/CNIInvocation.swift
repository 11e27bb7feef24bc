import CNI
import Pontoon

/// What every CNI-speaking door does around its own work: read the environment, answer VERSION,
/// decode the request, set up logging, and turn any failure into the error document.
enum CNIInvocation {
    static func answer(environment: [String: String], stdin: [UInt8], door: String,
                       serve: (CNIRequest) throws -> [UInt8]) -> ProcessIO.Answer {
        var version: CNIVersion?
        do {
            let cniEnvironment = try CNIEnvironment(environment)
            if cniEnvironment.command == .version {
                return ProcessIO.Answer(output: try VersionInfo(stdin: stdin).json, status: 0)
            }
            let request = try CNIRequest(environment: cniEnvironment, stdin: stdin)
            version = request.version
            PluginSetup.configureLog(request, environment: environment, door: door)
            let output = try serve(request)
            Log.info("ok")
            return ProcessIO.Answer(output: output, status: 0)
        } catch {
            let cniError = CNIError(any: error)
            Log.error("failed: \(cniError)")
            return ProcessIO.Answer(output: cniError.json(version: version ?? CNIVersion.declared(in: stdin)), status: 1)
        }
    }
}

import CNI
import NetAddress
import Pontoon

/// An IPAM plugin other than host-local, run from `CNI_PATH` with the same stdin and environment
/// the runtime gave Pontoon (only `CNI_COMMAND` differs), as the reference bridge does.
public struct DelegatedIPAM: AddressAllocator {
    public let type: String
    public let request: CNIRequest

    public init(type: String, request: CNIRequest) {
        self.type = type
        self.request = request
    }

    public func allocate(for id: AttachmentID, requesting requested: [IPAddress]) throws -> IPAMResult {
        let output = try run(.add)
        let wire = try JSONCoding.read(WireResult.self, from: output, what: "the result of IPAM plugin \(type)")
        let result = try wire.attachmentResult(what: "the result of IPAM plugin \(type)")
        guard !result.ips.isEmpty else {
            throw PontoonError(.system, "IPAM plugin \(type) returned no IP address")
        }
        return IPAMResult(addresses: result.ips.map { AssignedAddress(address: $0.address, gateway: $0.gateway) },
                          routes: result.routes, dns: result.dns)
    }

    public func release(_ id: AttachmentID) throws {
        _ = try run(.del)
    }

    public func check(_ id: AttachmentID, addresses: [IPAddress]) throws {
        _ = try run(.check)
    }

    public func garbageCollect(keeping valid: Set<AttachmentID>) throws {
        _ = try run(.gc)
    }

    /// STATUS is only defined from 1.1.0; older delegates are assumed ready.
    public func readiness() throws {
        if request.version.hasStatusAndGC { _ = try run(.status) }
    }

    private func run(_ command: CNICommand) throws -> [UInt8] {
        guard let path = ChildProcesses.find(type, in: request.environment.path) else {
            throw PontoonError(.invalidConfiguration, "IPAM plugin \"\(type)\" not found in CNI_PATH",
                               details: request.environment.path.joined(separator: ":"))
        }
        var environment = request.environment.variables
        environment["CNI_COMMAND"] = command.rawValue
        let outcome = try ChildProcesses.run(path, environment: environment, stdin: request.rawConfig)
        guard outcome.status == 0 else {
            // Pass the delegate's own error through, code and all.
            if let error = try? JSONCoding.read(WireError.self, from: outcome.stdout, what: "error") {
                throw PontoonError(.delegate(code: error.code), "IPAM plugin \(type): \(error.msg ?? "failed")", details: error.details)
            }
            throw PontoonError(.system, "IPAM plugin \(type) failed with status \(outcome.status)",
                               details: String(decoding: outcome.stdout.prefix(512), as: UTF8.self))
        }
        return outcome.stdout
    }
}

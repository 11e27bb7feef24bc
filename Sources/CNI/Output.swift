import WireCoding

/// What the CNI door prints: results and errors as JSON documents on stdout.
public struct WireError: Codable, Sendable, Equatable {
    public var cniVersion: String?
    public var code: Int
    public var msg: String?
    public var details: String?
}

extension WireError: WireDecodable {
    public init(wire value: WireReader) throws {
        let object = try value.object()
        cniVersion = try object.decodeIfPresent(CodingKeys.cniVersion)
        code = try object.decode(CodingKeys.code)
        msg = try object.decodeIfPresent(CodingKeys.msg)
        details = try object.decodeIfPresent(CodingKeys.details)
    }
}

extension CNIError {
    /// The error document; `version` is the request's when known.
    public func json(version: CNIVersion?) -> [UInt8] {
        WireJSON.write(WireError(cniVersion: (version ?? .latest).description, code: code, msg: message,
                                    details: details.flatMap { $0.isEmpty ? nil : $0 })) + [0x0a]
    }
}

extension WireResult {
    public var json: [UInt8] { WireJSON.write(self) + [0x0a] }
}

/// The answer to VERSION: the requested version echoed (the latest when none or an unreadable one
/// was asked for) and every version Pontoon speaks.
public struct VersionInfo: Codable, Sendable, Equatable {
    public var cniVersion: String
    public var supportedVersions: [String]

    public init(requested: String?) {
        cniVersion = requested.flatMap(CNIVersion.init)?.description ?? CNIVersion.latest.description
        supportedVersions = CNIVersion.supported.map(\.description)
    }

    /// stdin may be empty (answer with the latest) but, when present, must be a JSON object.
    public init(stdin: [UInt8]) throws(CNIError) {
        if stdin.allSatisfy({ $0 == 0x20 || $0 == 0x0a || $0 == 0x0d || $0 == 0x09 }) {
            self.init(requested: nil)
        } else {
            self.init(requested: try JSONCoding.read(DeclaredVersion.self, from: stdin, what: "VERSION request").cniVersion)
        }
    }

    public var json: [UInt8] { WireJSON.write(self) + [0x0a] }
}

import Pontoon

/// A CNI error, printed as JSON on stdout with exit status 1 (spec section "Error").
public struct CNIError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Codes reserved by the spec, and Pontoon's own from 100 on.
    public enum Code: Int, Sendable {
        case incompatibleVersion = 1
        case unsupportedField = 2
        case unknownContainer = 3
        case invalidEnvironment = 4
        case ioFailure = 5
        case decodingFailure = 6
        case invalidNetworkConfig = 7
        case tryAgainLater = 11
        case pluginNotAvailable = 50
        case limitedConnectivity = 51
        case system = 100
        case addressUnavailable = 101
        case addressesExhausted = 102
        case interfaceExists = 103
        case hostConflict = 104
        case checkFailed = 105
        case portTaken = 106
    }

    public var code: Int
    public var message: String
    public var details: String?

    public init(_ code: Code, _ message: String, details: String? = nil) {
        self.init(rawCode: code.rawValue, message, details: details)
    }

    public init(rawCode: Int, _ message: String, details: String? = nil) {
        self.code = rawCode
        self.message = message
        self.details = details
    }

    public var description: String {
        "[\(code)] \(message)" + (details.map { " (\($0))" } ?? "")
    }
}

extension CNIError {
    /// The one place where engine failures become CNI codes.
    public init(_ error: PontoonError) {
        let code: Code
        switch error.kind {
        case .invalidConfiguration: code = .invalidNetworkConfig
        case .invalidRequest: code = .invalidEnvironment
        case .unsupported: code = .unsupportedField
        case .containerMissing: code = .unknownContainer
        case .io: code = .ioFailure
        case .tryAgain: code = .tryAgainLater
        case .notReady: code = .pluginNotAvailable
        case .system: code = .system
        case .addressUnavailable: code = .addressUnavailable
        case .addressesExhausted: code = .addressesExhausted
        case .interfaceExists: code = .interfaceExists
        case .conflict: code = .hostConflict
        case .checkFailed: code = .checkFailed
        case .portTaken: code = .portTaken
        case .delegate(let foreign):
            self.init(rawCode: foreign, error.message, details: error.details)
            return
        }
        self.init(code, error.message, details: error.details)
    }
}

extension CNIError {
    /// Any failure as a CNI error: protocol errors as they are, engine errors by kind, the rest as 100.
    public init(any error: any Error) {
        switch error {
        case let error as CNIError: self = error
        case let error as PontoonError: self.init(error)
        default: self.init(.system, "\(error)")
        }
    }
}

import CNI
import Pontoon

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

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

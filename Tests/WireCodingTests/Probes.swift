import Foundation
@testable import CNI
import Netavark
@testable import Pontoon
@testable import WireCoding

/// One way the plugin reads a document (a wire type, strict or tolerant), run through the coding
/// the plugin used before (`FoundationWireJSON`) and through its own (`WireJSON`).
struct Probe: Sendable {
    let name: String
    /// Old outcome, new outcome, and for a value both decoded, whether the two writers wrote it the same.
    let run: @Sendable ([UInt8]) -> (old: String, new: String, writers: (old: [UInt8], new: [UInt8])?)

    /// A type both coders can write: the outcome is the value's canonical text and its old encoding.
    static func codable<T: Codable>(_ type: T.Type, _ name: String, tolerantExcept needed: Set<String>? = nil, messages: Bool = true,
                                    messagesWhen: @escaping @Sendable ([UInt8]) -> Bool = { _ in true },
                                    normalized: @escaping @Sendable (T) -> Any = { $0 }) -> Probe {
        Probe(name: name) { bytes in
            let messages = messages && messagesWhen(bytes)
            let old = outcome(messages) { try FoundationWireJSON.decode(T.self, from: bytes, tolerantExcept: needed) }
            let new = outcome(messages) { try WireJSON.decode(T.self, from: bytes, tolerantExcept: needed) }
            func text(_ result: Result<T, Failure>) -> String {
                switch result {
                case .success(let value): "value " + Canonical.text(normalized(value)) + " " + String(decoding: FoundationWireJSON.encode(value), as: UTF8.self)
                case .failure(let failure): "error " + failure.text
                }
            }
            var writers: (old: [UInt8], new: [UInt8])?
            if case .success(let value) = new { writers = (FoundationWireJSON.encode(value), WireJSON.encode(value)) }
            return (text(old), text(new), writers)
        }
    }

    /// A type only read (NetConf): the outcome is the value's canonical text.
    static func decodable<T: Decodable>(_ type: T.Type, _ name: String, tolerantExcept needed: Set<String>? = nil) -> Probe {
        Probe(name: name) { bytes in
            func text(_ result: Result<T, Failure>) -> String {
                switch result {
                case .success(let value): "value " + Canonical.text(value)
                case .failure(let failure): "error " + failure.text
                }
            }
            return (text(outcome(true) { try FoundationWireJSON.decode(T.self, from: bytes, tolerantExcept: needed) }),
                    text(outcome(true) { try WireJSON.decode(T.self, from: bytes, tolerantExcept: needed) }), nil)
        }
    }

    /// A type the plugin reads with its own reader (`WireJSON.read`), against the `Decodable` path
    /// over the same scanner (`WireJSON.decode`): the same accept or reject, value and error, the
    /// error down to its kind, type, key path and description (what the doors render).
    static func reader<T: Decodable & WireDecodable>(_: T.Type, _ name: String, tolerantExcept needed: Set<String>? = nil,
                                                     normalized: @escaping @Sendable (T) -> Any = { $0 }) -> Probe {
        Probe(name: name + ", own reader") { bytes in
            func text(_ body: () throws -> T) -> String {
                do {
                    return "value " + Canonical.text(normalized(try body()))
                } catch let error as DecodingError {
                    return "error " + WireJSON.describe(error) + " | " + detail(error)
                } catch {
                    return "error \(Swift.type(of: error)) \(error)"
                }
            }
            return (text { try WireJSON.decode(T.self, from: bytes, tolerantExcept: needed) },
                    text { try WireJSON.read(T.self, from: bytes, tolerantExcept: needed) }, nil)
        }
    }

    /// Everything a `DecodingError` carries that a caller could see.
    private static func detail(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            keys.map { key in key.intValue.map { "[\($0)]" } ?? key.stringValue }.joined(separator: "/")
        }
        switch error {
        case .typeMismatch(let type, let context): return "typeMismatch \(type) at \(path(context.codingPath)): \(context.debugDescription)"
        case .valueNotFound(let type, let context): return "valueNotFound \(type) at \(path(context.codingPath)): \(context.debugDescription)"
        case .keyNotFound(let key, let context): return "keyNotFound \(key.stringValue) at \(path(context.codingPath)): \(context.debugDescription)"
        case .dataCorrupted(let context): return "dataCorrupted at \(path(context.codingPath)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }

    struct Failure: Error { var text: String }

    /// With `messages` false only the failure counts, not its text: where a decoder walks a
    /// dictionary's keys, which bad one it meets first follows the hash order, which differs
    /// from run to run (it did for the old decoder alone).
    private static func outcome<T>(_ messages: Bool, _ body: () throws -> T) -> Result<T, Failure> {
        do {
            return .success(try body())
        } catch let error as DecodingError {
            return .failure(Failure(text: messages ? WireJSON.describe(error) : "(any message)"))
        } catch {
            return .failure(Failure(text: messages ? "\(error)" : "(any message)"))
        }
    }

    /// No more than one network in `networks` and in `network_info`: no order to differ in. Read
    /// with the plugin's own scanner, which takes documents Foundation's serialization refuses.
    @Sendable static func atMostOneNetwork(_ bytes: [UInt8]) -> Bool {
        guard let text = JSONInput.utf8(bytes), case .object(let members)? = try? JSONScanner.parse(text) else { return true }
        for (key, value) in members {
            let name = String(decoding: text[key], as: UTF8.self).lowercased()
            guard name == "networks" || name == "network_info" else { continue }
            switch value {
            case .object(let entries) where entries.count > 1: return false
            case .array(let entries) where entries.count > 1: return false
            default: continue
            }
        }
        return true
    }

    struct Declared: Codable { var cniVersion: String? }

    /// Networks sharing an interface name in the order the old decoder's hash gave them.
    @Sendable static func networksByInterface(_ options: NetworkOptions) -> Any {
        var options = options
        options.networks.sort { ($0.options.interfaceName, $0.name) < ($1.options.interfaceName, $1.name) }
        return options
    }

    /// Every type a door reads from a runtime, as it reads it, and scalars of every width.
    static let all: [Probe] = [
        .decodable(NetConf.self, "NetConf"),
        .decodable(NetConf.self, "NetConf (DEL, tolerant)", tolerantExcept: NetConf.keysTeardownNeeds),
        .codable(NetConfList.self, "NetConfList", messages: false),
        // Which bad network of several is named first, and the order of networks sharing an
        // interface name, followed the old decoder's hash order (random from run to run).
        .codable(NetworkOptions.self, "NetworkOptions", messagesWhen: atMostOneNetwork, normalized: networksByInterface),
        .codable(WireResult.self, "WireResult"),
        .codable(WireResult.self, "WireResult (tolerant)", tolerantExcept: []),
        .codable(Declared.self, "version"),
        .codable(JSONValue.self, "JSONValue", messages: false),
        .codable([String: Int].self, "[String: Int]", messages: false),
        .codable([String: Int8].self, "[String: Int8]", messages: false),
        .codable([String: UInt8].self, "[String: UInt8]", messages: false),
        .codable([String: UInt16].self, "[String: UInt16]", messages: false),
        .codable([String: Int32].self, "[String: Int32]", messages: false),
        .codable([String: UInt32].self, "[String: UInt32]", messages: false),
        .codable([String: Int64].self, "[String: Int64]", messages: false),
        .codable([String: UInt64].self, "[String: UInt64]", messages: false),
        .codable([String: Double].self, "[String: Double]", messages: false),
        .codable([String: Bool].self, "[String: Bool]", messages: false),
        .codable([String: String].self, "[String: String]", messages: false),
        .codable([String: [String]].self, "[String: [String]]", messages: false),
        .codable([Int].self, "[Int]"),
        .codable([String?].self, "[String?]"),
        // What the plugin reads without `Decodable` (`WireDecodable`), each way a door reads it.
        .reader(NetConf.self, "NetConf"),
        .reader(NetConf.self, "NetConf (DEL, tolerant)", tolerantExcept: NetConf.keysTeardownNeeds),
        .reader(NetworkOptions.self, "NetworkOptions", normalized: networksByInterface),
        .reader(WireResult.self, "WireResult"),
        .reader(WireResult.self, "WireResult (tolerant)", tolerantExcept: []),
        .reader(DeclaredVersion.self, "version"),
        .reader(WireError.self, "WireError"),
        .reader(AttachmentRecord.self, "AttachmentRecord"),
        .reader(FirewallMembership.Record.self, "firewall record"),
        .reader(FirewallAttachment.self, "firewall member"),
    ]
}

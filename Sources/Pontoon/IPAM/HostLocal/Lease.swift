import NetAddress

/// One address reserved in a host-local store: the file `<store>/<address>` and who holds it.
public struct Lease: Hashable, Sendable, CustomStringConvertible {
    /// Who a lease file says holds the address.
    public enum Holder: Hashable, Sendable, CustomStringConvertible {
        /// `<containerID>\r\n<ifname>`: what the reference plugin and Pontoon write.
        case attachment(AttachmentID)
        /// Only a container id: files written by host-local before it recorded the interface.
        case container(String)

        /// The file contents the reference writes for an attachment (no trailing newline).
        static func contents(for id: AttachmentID) -> String {
            Lease.trimmingSpace(id.containerID) + "\r\n" + id.ifName
        }

        /// Reads a lease file's contents; the reference compares them after trimming whitespace.
        init(contents: String) {
            let text = Lease.trimmingSpace(contents)
            if let separator = text.firstRange(of: "\r\n") {
                self = .attachment(AttachmentID(containerID: String(text[..<separator.lowerBound]),
                                                ifName: String(text[separator.upperBound...])))
            } else {
                self = .container(text)
            }
        }

        public var containerID: String {
            switch self {
            case .attachment(let id): id.containerID
            case .container(let containerID): containerID
            }
        }

        /// Exactly this attachment (the container id compared after trimming, as the reference does).
        func isExactly(_ id: AttachmentID) -> Bool {
            guard case .attachment(let held) = self else { return false }
            return held.containerID == Lease.trimmingSpace(id.containerID) && held.ifName == id.ifName
        }

        /// A legacy file naming this attachment's container.
        func isLegacy(of id: AttachmentID) -> Bool {
            guard case .container(let containerID) = self else { return false }
            return containerID == Lease.trimmingSpace(id.containerID)
        }

        /// What the reference's "allocated to this attachment" means: the pair, or a legacy file of its container.
        func belongs(to id: AttachmentID) -> Bool { isExactly(id) || isLegacy(of: id) }

        public var description: String {
            switch self {
            case .attachment(let id): id.description
            case .container(let containerID): containerID
            }
        }
    }

    public var address: IPAddress
    public var holder: Holder

    public init(address: IPAddress, holder: Holder) {
        self.address = address
        self.holder = holder
    }

    public var description: String { "\(address) → \(holder)" }
}

extension Lease {
    /// Go's strings.TrimSpace for the ASCII whitespace that can appear in lease files.
    static func trimmingSpace<S: StringProtocol>(_ text: S) -> String {
        // "\r\n" is one Character in Swift, so it is listed on its own.
        let isSpace: (Character) -> Bool = { " \t\n\r\u{0B}\u{0C}".contains($0) || $0 == "\r\n" }
        guard let first = text.firstIndex(where: { !isSpace($0) }),
              let last = text.lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(text[first...last])
    }
}

import CNI
import Pontoon

/// A request in the engine's terms: names checked by the engine's rules, ids, results.
extension CNIRequest {
    /// The network's name, validated: it names the lease store's directory, so it must not escape it.
    public func networkName() throws(CNIError) -> String {
        guard let name = config.name, !name.isEmpty else {
            throw CNIError(.invalidNetworkConfig, "missing network name", details: "the config has no \"name\"")
        }
        guard Names.isValid(name) else {
            throw CNIError(.invalidNetworkConfig, "invalid network name \"\(name)\"",
                           details: "a name starts with a letter or digit and holds only letters, digits, '_', '.', '-'")
        }
        return name
    }

    /// The container identity; present for ADD, CHECK and DEL (the environment guarantees it).
    public var attachmentID: AttachmentID {
        AttachmentID(containerID: environment.containerID ?? "", ifName: environment.ifName ?? "")
    }

    /// GC's list of attachments to keep (`cni.dev/valid-attachments`, or the older `cni.dev/attachments`).
    public var validAttachments: Set<AttachmentID> {
        Set((config.validAttachments ?? config.legacyAttachments ?? []).map {
            AttachmentID(containerID: $0.containerID, ifName: $0.ifname)
        })
    }

    /// The result handed down by the runtime (DEL, CHECK), in engine terms.
    public func previousResult() throws(CNIError) -> AttachmentResult? {
        try config.prevResult?.attachmentResult()
    }
}

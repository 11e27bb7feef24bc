/// One network of an engine call: the attachment as the door decoded it, where its addresses come
/// from, and (DEL, CHECK) what the runtime says ADD reported.
public struct AttachmentRequest {
    public var attachment: Attachment
    public var ipam: (any AddressAllocator)?
    public var previous: AttachmentResult?

    public init(_ attachment: Attachment, ipam: (any AddressAllocator)?, previous: AttachmentResult? = nil) {
        self.attachment = attachment
        self.ipam = ipam
        self.previous = previous
    }
}

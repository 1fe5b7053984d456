import MailMessage
import Policy

extension MessageFacts {
    /// The facts the rule engine sees for a parsed message and its envelope: decoded Subject and
    /// headers, size, and every attachment's decoded name, type and size (content streamed, so
    /// spooled parts are not loaded).
    public init(message: MailMessage, size: Int, sender: String, clientAddress: String?, authenticatedUser: String?, daemonName: String?) {
        let structure = MessageStructure(message)
        var attachments = [AttachmentFact]()
        for attachment in structure.attachments {
            var bytes = 0
            if let block = attachment.uuencoded {
                bytes = block.content.count
            } else if let entity = message.entity(at: attachment.address) {
                _ = try? entity.forEachDecodedChunk { bytes += $0.count }
            }
            attachments.append(AttachmentFact(filename: attachment.filename ?? "", contentType: attachment.contentType, size: bytes))
        }
        self.init(
            sender: sender,
            clientAddress: clientAddress,
            authenticatedUser: authenticatedUser,
            daemonName: daemonName,
            headers: message.header.fields.filter { !$0.name.isEmpty }.map { (name: $0.name, value: $0.decodedValue) },
            subject: message.subject ?? "",
            size: size,
            attachments: attachments
        )
    }
}

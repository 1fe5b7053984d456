/// Which parts of a message are its body and which are attachments, decided the way users and
/// mail clients see them:
/// - text/plain and text/html parts without a file name or `attachment` disposition are body
///   (alternatives both count; so do the bodies of forwarded messages);
/// - cid-referenced parts of multipart/related and `inline` parts are inline resources, not user
///   attachments;
/// - message/rfc822 is a forwarded message (and its own parts are walked too);
/// - S/MIME signatures and envelopes, winmail.dat, and uuencoded files in text bodies are named
///   for what they are.
public struct MessageStructure: Sendable {
    /// Body text parts in document order.
    public let bodyParts: [BodyPart]
    /// Attachments in document order.
    public let attachments: [Attachment]
    /// Signature and encryption.
    public let security: SecurityFacts
    /// Every entity (containers included).
    public let entities: [LocatedEntity]

    /// Classifies the parts of `message`. Reads no body content except text bodies searched for
    /// uuencoded blocks (`scanUUEncode`).
    public init(_ message: MailMessage, scanUUEncode: Bool = true) {
        let entities = message.entities
        var bodyParts = [BodyPart]()
        var attachments = [Attachment]()
        var security = SecurityFacts()
        for located in entities {
            let entity = located.entity
            let type = entity.contentType
            let disposition = entity.contentDisposition
            switch entity.body {
            case .multipart:
                if type.subtype == "signed", entity.parts.count >= 2 {
                    security.signed = true
                    security.signedPart = Self.childPath(located, 1)
                    security.signaturePart = Self.childPath(located, 2)
                } else if type.subtype == "encrypted" {
                    security.encrypted = true
                    security.encryptedPart = located.path
                }
                continue
            case .message:
                attachments.append(Self.attachment(located, role: .messageRFC822, inline: false))
                continue
            case .leaf:
                break
            }
            let mime = type.mimeType
            let filename = entity.filename
            let dispositionType = disposition?.type
            if mime == "application/pkcs7-signature" || mime == "application/x-pkcs7-signature" {
                attachments.append(Self.attachment(located, role: .smimeSignature, inline: false))
                continue
            }
            if mime == "application/pkcs7-mime" || mime == "application/x-pkcs7-mime" {
                let smimeType = type.value.parameters["smime-type"]?.lowercased()
                if smimeType == nil || smimeType == "enveloped-data" || smimeType == "authenveloped-data" {
                    security.encrypted = true
                    security.encryptedPart = located.path
                }
                attachments.append(Self.attachment(located, role: .smimeEnveloped, inline: false))
                continue
            }
            if mime == "application/ms-tnef" || mime == "application/vnd.ms-tnef" || filename?.lowercased() == "winmail.dat" {
                attachments.append(Self.attachment(located, role: .tnef, inline: false))
                continue
            }
            if type.isBodyText && dispositionType != "attachment" && filename == nil {
                let part = BodyPart(
                    path: located.path, address: located.address, contentType: mime, charset: type.charsetLabel,
                    transferEncoding: entity.transferEncoding.description, insideMessage: located.insideMessage
                )
                bodyParts.append(part)
                if scanUUEncode, mime == "text/plain", let content = try? entity.decodedContent() {
                    for block in UUEncode.blocks(in: content) {
                        attachments.append(
                            Attachment(
                                path: located.path, address: located.address, filename: block.filename,
                                contentType: "application/octet-stream", transferEncoding: "uuencode-in-body", role: .attachment,
                                isInline: false, contentDisposition: nil, contentID: nil, insideMessage: located.insideMessage,
                                uuencoded: block
                            )
                        )
                    }
                }
                continue
            }
            let relatedResource = located.parentType?.subtype == "related" && entity.contentID != nil && dispositionType == nil
            let inline = dispositionType == "inline" || relatedResource
            attachments.append(Self.attachment(located, role: inline ? .inline : .attachment, inline: inline))
        }
        self.bodyParts = bodyParts
        self.attachments = attachments
        self.security = security
        self.entities = entities
    }

    private static func childPath(_ located: LocatedEntity, _ number: Int) -> String {
        if located.path.isEmpty { return String(number) }
        if located.path.hasSuffix(".TEXT") { return String(located.path.dropLast(5)) + ".\(number)" }
        return located.path + ".\(number)"
    }

    private static func attachment(_ located: LocatedEntity, role: Attachment.Role, inline: Bool) -> Attachment {
        let entity = located.entity
        return Attachment(
            path: located.path, address: located.address, filename: entity.filename, contentType: entity.contentType.mimeType,
            transferEncoding: entity.transferEncoding.description, role: role, isInline: inline,
            contentDisposition: entity.contentDisposition?.type, contentID: entity.contentID,
            insideMessage: located.insideMessage, uuencoded: nil
        )
    }
}

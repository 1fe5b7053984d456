import MailMessage

/// Step 0 too: encrypted bodies (multipart/encrypted, S/MIME application/pkcs7-mime) cannot be
/// inspected. When encrypted content is to be removed they give way to a short text saying so,
/// and are listed as removed; otherwise they stay, with a note.
extension CopySanitizer {
    /// What takes the place of an encrypted body.
    static let encryptedNotice = """
        この部分は暗号化されていて検査できないため、複製から削除しました。
        This part was encrypted and could not be inspected; it was removed from the copy.

        """

    func handleEncryptedContent(_ copy: inout SanitizedCopy) throws(CopySanitizerError) {
        let sealed = Self.outermostEncrypted(copy.message)
        guard !sealed.isEmpty else { return }
        guard settings.removesEncryptedContent else {
            copy.notes += sealed.map { "encrypted content left as it is (\($0.entity.contentType.mimeType) at \(Self.place($0)))" }
            return
        }
        for located in sealed {
            let payload = Self.payload(of: located.entity)
            let digest = try attempt(.encryptedContent) { try ContentDigest(of: payload) }
            let name = SafeFilename.make(payload.filename ?? located.entity.filename ?? "", fallback: "encrypted-content")
            copy.removed.append(
                RemovedAttachment(
                    name: name, contentType: located.entity.contentType.mimeType, size: digest.size, sha256: digest.sha256,
                    reason: .risky([.encrypted])))
            copy.notes.append("encrypted content removed (\(located.entity.contentType.mimeType) at \(Self.place(located)))")
        }
        try attempt(.encryptedContent) {
            try copy.message.modifyParts(at: sealed.map(\.address)) { entity, _ in
                entity.replaceContent(with: .text(Self.encryptedNotice, charset: .utf8))
            }
        }
    }

    /// Encrypted entities outside forwarded messages that no other one encloses.
    static func outermostEncrypted(_ message: MailMessage) -> [LocatedEntity] {
        outermost(message.entities.filter { isEncrypted($0.entity) })
    }

    /// multipart/encrypted, or S/MIME application/pkcs7-mime other than a certificate bag
    /// (opaque signed data counts: its content cannot be read without parsing CMS either).
    static func isEncrypted(_ entity: MIMEEntity) -> Bool {
        let type = entity.contentType.mimeType
        if type == "multipart/encrypted" { return entity.isMultipart }
        guard type == "application/pkcs7-mime" || type == "application/x-pkcs7-mime" else { return false }
        return entity.contentType.value.parameters["smime-type"]?.lowercased() != "certs-only"
    }

    /// The part that holds the ciphertext: the second part of multipart/encrypted (RFC 1847),
    /// else the entity itself.
    private static func payload(of entity: MIMEEntity) -> MIMEEntity {
        entity.isMultipart ? entity.parts.dropFirst().first ?? entity : entity
    }
}

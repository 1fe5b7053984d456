import Foundation
import MailMessage

/// The attachments a protection filter (`encrypt`, `link`) takes out of a message, their names,
/// and their removal: shared so both treat a message the same way.
enum AttachmentSelection {
    /// The user attachments in document order: parts sent as files, forwarded messages, and
    /// inline parts that are not resources of an HTML body (Apple Mail sends PDFs and photos
    /// `inline` in multipart/mixed: they are files too); with `includeInline`, the HTML body's
    /// images as well. A message whose whole body is the attachment is first wrapped in a
    /// multipart/mixed, so the part can be removed while the message keeps its header.
    static func choose(in message: inout MailMessage, includeInline: Bool, skipEncryptedArchives: Bool, notes: inout [String]) -> [Attachment] {
        var chosen = select(message, includeInline: includeInline, skipEncryptedArchives: skipEncryptedArchives, notes: &notes)
        if chosen.contains(where: { $0.address.isEmpty }) {
            message.wrapInMixed()
            var ignored = [String]()
            chosen = select(message, includeInline: includeInline, skipEncryptedArchives: skipEncryptedArchives, notes: &ignored)
        }
        return chosen
    }

    /// Whether a part counts as a file the user sent (see ``choose(in:includeInline:skipEncryptedArchives:notes:)``).
    static func isFile(_ attachment: Attachment, relatedResources: Set<[Int]>, includeInline: Bool) -> Bool {
        guard attachment.uuencoded == nil, attachment.insideMessage == nil else { return false }
        if attachment.isUserAttachment { return true }
        guard attachment.role == .inline else { return false }
        return includeInline || !relatedResources.contains(attachment.address)
    }

    /// Addresses of parts that are resources of an HTML body: in multipart/related or
    /// multipart/alternative, or referenced by Content-ID without a file name.
    static func relatedResources(_ structure: MessageStructure) -> Set<[Int]> {
        Set(structure.entities.filter { located in
            let parent = located.parentType?.subtype
            return parent == "related" || parent == "alternative" || (located.entity.contentID != nil && located.entity.filename == nil)
        }.map(\.address))
    }

    /// Whether the message as a whole is signed or encrypted (S/MIME or PGP/MIME at the top, or
    /// as the only part of a multipart/mixed): then a change would break it. Signed messages
    /// forwarded as attachments do not count.
    static func isSignedOrEncrypted(_ message: MailMessage) -> Bool {
        func sealed(_ entity: MIMEEntity) -> Bool {
            let type = entity.contentType.mimeType
            return type == "multipart/signed" || type == "multipart/encrypted" || type == "application/pkcs7-mime" || type == "application/x-pkcs7-mime"
        }
        if sealed(message.root) { return true }
        if case .multipart(let multipart) = message.root.body, message.root.contentType.mimeType == "multipart/mixed" {
            return multipart.parts.first.map { sealed($0.entity) } ?? false
        }
        return false
    }

    private static func select(_ message: MailMessage, includeInline: Bool, skipEncryptedArchives: Bool, notes: inout [String]) -> [Attachment] {
        let structure = MessageStructure(message)
        let related = relatedResources(structure)
        return structure.attachments.filter { attachment in
            guard isFile(attachment, relatedResources: related, includeInline: includeInline) else { return false }
            if skipEncryptedArchives, let entity = message.entity(at: attachment.address), isEncryptedZip(entity) {
                notes.append("already encrypted archive \(attachment.safeFilename) left as it is")
                return false
            }
            return true
        }
    }

    /// Removes the chosen parts (last first, so the paths of the others stay valid).
    static func remove(_ chosen: [Attachment], from message: inout MailMessage) throws {
        try message.removeParts(at: chosen.map(\.address))
    }

    /// The name a part is known by (a forwarded message without one: its subject).
    static func displayName(_ attachment: Attachment, message: MailMessage) -> String {
        if let filename = attachment.filename, !filename.isEmpty { return filename }
        if attachment.role == .messageRFC822 {
            let inner = message.entity(at: attachment.address).flatMap { entity -> String? in
                if case .message(let encapsulated) = entity.body { return encapsulated.entity.header.text("Subject") }
                return nil
            }
            return "\(inner.map { String($0.prefix(80)) } ?? "message").eml"
        }
        let ext = attachment.contentType.split(separator: "/").last.map(String.init) ?? "bin"
        return "attachment.\(ext)"
    }

    /// Safe, unique names: `a.pdf`, `a (2).pdf`, … (compared case-insensitively, as Windows does).
    static func uniqueNames(_ names: [String]) -> [String] {
        var taken = Set<String>()
        return names.map { original in
            let safe = SafeFilename.make(original, fallback: "attachment")
            var candidate = safe
            var counter = 2
            let base = (safe as NSString).deletingPathExtension
            let ext = (safe as NSString).pathExtension
            while taken.contains(candidate.lowercased()) {
                candidate = ext.isEmpty ? "\(base) (\(counter))" : "\(base) (\(counter)).\(ext)"
                counter += 1
            }
            taken.insert(candidate.lowercased())
            return candidate
        }
    }

    /// Whether a part is a ZIP whose first entry is encrypted (general purpose bit 0).
    static func isEncryptedZip(_ entity: MIMEEntity) -> Bool {
        struct Enough: Error {}
        var head = [UInt8]()
        _ = try? entity.forEachDecodedChunk { chunk in
            head.append(contentsOf: chunk.prefix(8 - head.count))
            if head.count >= 8 { throw Enough() }
        }
        return head.count >= 8 && head[0..<4] == [0x50, 0x4B, 0x03, 0x04] && head[6] & 1 == 1
    }

    /// The raw (encoded) size of a leaf: an upper bound of the decoded size.
    static func rawSize(_ entity: MIMEEntity) -> Int {
        switch entity.body {
        case .leaf(let leaf): leaf.raw.count
        default: Int(UInt32.max)
        }
    }
}

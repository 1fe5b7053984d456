import Foundation
import MailMessage

/// The attachments a protection filter (`encrypt`, `link`) takes out of a message, their names,
/// and their removal: shared so both treat a message the same way.
enum AttachmentSelection {
    /// The user attachments (and inline parts when asked) in document order. A message whose
    /// whole body is the attachment is first wrapped in a multipart/mixed, so the part can be
    /// removed while the message keeps its header.
    static func choose(in message: inout MailMessage, includeInline: Bool, skipEncryptedArchives: Bool, notes: inout [String]) -> [Attachment] {
        var chosen = select(MessageStructure(message), in: message, includeInline: includeInline, skipEncryptedArchives: skipEncryptedArchives, notes: &notes)
        if chosen.contains(where: { $0.address.isEmpty }) {
            message.wrapInMixed()
            var ignored = [String]()
            chosen = select(MessageStructure(message), in: message, includeInline: includeInline, skipEncryptedArchives: skipEncryptedArchives, notes: &ignored)
        }
        return chosen
    }

    private static func select(
        _ structure: MessageStructure, in message: MailMessage, includeInline: Bool, skipEncryptedArchives: Bool, notes: inout [String]
    ) -> [Attachment] {
        structure.attachments.filter { attachment in
            guard attachment.uuencoded == nil else { return false }
            guard attachment.isUserAttachment || (includeInline && attachment.role == .inline && attachment.insideMessage == nil) else { return false }
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

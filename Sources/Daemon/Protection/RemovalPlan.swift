import Foundation
import MailMessage

/// A part a filter takes out of a message, as the list of removed files describes it.
struct RemovedPart: Sendable {
    /// Where it was (see ``LocatedEntity/address``).
    var address: [Int]
    /// The safe file name (a forwarded message without one: its subject and `.eml`).
    var name: String
    /// Lowercase `type/subtype`.
    var contentType: String
    /// Decoded size and SHA-256.
    var digest: ContentDigest
    /// The filter's word for why, when it has more than one reason.
    var reason: String?
    /// For a forwarded message taken because of a file inside it: that file's name and
    /// SHA-256 (`evil.exe (sha256:…)`).
    var matchedInside: String?
}

/// Which files a removing filter (`strip`, the copy sanitizer) takes out of a message, their
/// removal, and the list the recipient gets in their place — one notion for every filter.
///
/// A file that matches inside a forwarded message (message/rfc822) takes the whole forwarded
/// message with it: its parts cannot be edited separately, and a file hidden one message
/// deeper must not slip through.
enum RemovalPlan {
    /// What the filter's judge says of a part it wants removed.
    struct Match {
        var reason: String?
        var digest: ContentDigest
    }

    /// The parts to remove, in document order. `isCandidate` picks the top-level parts to judge,
    /// given the addresses of the HTML body's resources (every part of a forwarded message is
    /// judged); `judge` reads a part (once) and returns a match for one that goes.
    static func choose(
        in message: MailMessage,
        candidates isCandidate: (Attachment, _ relatedResources: Set<[Int]>) -> Bool,
        judge: (Attachment, MIMEEntity) throws -> Match?
    ) throws -> [RemovedPart] {
        let structure = MessageStructure(message)
        let related = AttachmentSelection.relatedResources(structure)
        let forwarded = structure.attachments.filter { $0.role == .messageRFC822 && $0.insideMessage == nil }
        var removals = [RemovedPart]()
        var taken = Set<[Int]>()
        for attachment in structure.attachments where attachment.uuencoded == nil {
            let outer = attachment.insideMessage == nil ? nil : forwarded.first { attachment.address.starts(with: $0.address) }
            if let outer {
                guard attachment.role != .messageRFC822, !taken.contains(outer.address) else { continue }
            } else {
                guard isCandidate(attachment, related) else { continue }
            }
            guard let entity = message.entity(at: attachment.address), let match = try judge(attachment, entity) else { continue }
            let name = SafeFilename.make(AttachmentSelection.displayName(attachment, message: message), fallback: "attachment")
            if let outer {
                guard let outerEntity = message.entity(at: outer.address) else { continue }
                taken.insert(outer.address)
                let outerName = SafeFilename.make(AttachmentSelection.displayName(outer, message: message), fallback: "message.eml")
                removals.append(
                    RemovedPart(
                        address: outer.address, name: outerName, contentType: outer.contentType, digest: try ContentDigest(of: outerEntity),
                        reason: match.reason, matchedInside: "\(name) (sha256:\(match.digest.sha256))"))
            } else if taken.insert(attachment.address).inserted {
                removals.append(RemovedPart(address: attachment.address, name: name, contentType: attachment.contentType, digest: match.digest, reason: match.reason))
            }
        }
        return removals
    }

    /// Removes `parts`. A message whose whole body is the file is first given a multipart/mixed
    /// to leave from (the header stays).
    static func remove(_ parts: [RemovedPart], from message: inout MailMessage) throws(RewriteError) {
        var addresses = parts.map(\.address)
        if addresses.contains([]) {
            message.wrapInMixed()
            addresses = [[0]]
        }
        try message.removeParts(at: addresses)
    }

    /// The heading of lists of removed files, in Japanese and English.
    static let listHeading = "削除した添付ファイル / Removed attachments:"

    /// The list of removed parts as a text/plain UTF-8 attachment: a Japanese and English
    /// heading, then one line per part — name, type, decoded size, SHA-256, the reason and, for
    /// a forwarded message, which file inside it matched.
    static func listPart(_ parts: [RemovedPart], filename: String) -> MIMEEntity {
        var lines = [listHeading, ""]
        for part in parts {
            var fields = [part.name, part.contentType, "\(part.digest.size) bytes", "sha256:\(part.digest.sha256)"]
            if let reason = part.reason { fields.append(reason) }
            if let inside = part.matchedInside { fields.append("contains \(inside)") }
            lines.append(fields.joined(separator: "\t"))
        }
        var list = MIMEEntity.attachment(filename: filename, contentType: "text/plain", content: Array((lines.joined(separator: "\n") + "\n").utf8))
        list.setContentTypeParameter("charset", "UTF-8")
        return list
    }
}

import Foundation
import MailMessage

/// A stored message as the web UI shows it (pure; built from the stored bytes): the header
/// fields decoded for display, the text, the HTML sanitized, and the attachments with their
/// decoded names. ``attachmentContent(_:)`` gives one attachment's decoded bytes.
public struct ArchivedMessageView: Sendable {
    /// One header field, RFC 2047 words decoded.
    public struct Field: Sendable, Equatable {
        public var name: String
        public var value: String
    }

    /// One attachment of the message (parts inside forwarded messages stay in their `.eml`).
    public struct AttachmentItem: Sendable, Equatable {
        /// Position in ``ArchivedMessageView/attachments`` (what the download URL names).
        public var index: Int
        /// The decoded name exactly as the sender wrote it (RFC 2231/2047, any charset), or a
        /// made-up one (`attachment-2.pdf`, the forwarded message's subject + `.eml`).
        public var filename: String
        /// ``filename`` safe to save under (no path separators, controls or reserved names).
        public var safeFilename: String
        /// Lower-case `type/subtype` as declared.
        public var contentType: String
        /// Decoded bytes.
        public var size: Int
        /// An inline resource of the HTML body (a cid image) rather than a file.
        public var isInline: Bool
        public var contentID: String?
    }

    public var subject: String
    public var from: String
    public var to: String
    public var cc: String
    /// The `Date:` header as written, and parsed.
    public var dateText: String?
    public var date: Date?
    public var messageID: String?
    /// Every header field in order.
    public var headers: [Field]
    /// The text to read: the text/plain parts, or the HTML body reduced to text.
    public var text: String
    /// The first HTML body, sanitized (`nil` for text-only mail).
    public var html: HTMLSanitizer.Result?
    public var attachments: [AttachmentItem]

    private let message: MailMessage
    private let parts: [Attachment]

    /// Inline images larger than this are not embedded into the sanitized HTML.
    public static let inlineImageLimit = 2 << 20

    /// Parses `bytes` (the stored message, decompressed).
    /// - Throws: the MIME parser's error for input it cannot read at all.
    public init(bytes: [UInt8]) throws {
        let message = try MailMessage.parse(bytes)
        let structure = MessageStructure(message)
        self.message = message
        subject = message.subject ?? ""
        from = Self.addresses(message, "From")
        to = Self.addresses(message, "To")
        cc = Self.addresses(message, "Cc")
        dateText = message.header["Date"].map { $0.valueString.trimmingCharacters(in: .whitespacesAndNewlines) }
        date = message.date.map { Date(timeIntervalSince1970: TimeInterval($0)) }
        messageID = message.messageID
        headers = message.header.fields.map {
            Field(name: $0.name, value: $0.decodedValue.replacingOccurrences(of: "\r\n", with: "\n").trimmingCharacters(in: .whitespacesAndNewlines))
        }

        let topLevel = structure.bodyParts.filter { $0.insideMessage == nil }
        var plain = [String]()
        var htmlSource: String?
        for part in topLevel {
            guard let entity = message.entity(at: part.address), let decoded = try? entity.decodedText() else { continue }
            let clean = decoded.replacingOccurrences(of: "\r\n", with: "\n")
            if part.contentType == "text/html" {
                if htmlSource == nil { htmlSource = clean }
            } else {
                plain.append(clean)
            }
        }
        parts = structure.attachments.filter { $0.insideMessage == nil }
        attachments = parts.enumerated().map { index, part in
            let name = Self.name(of: part, index: index, in: message)
            let size = (try? Self.content(of: part, in: message).count) ?? 0
            return AttachmentItem(
                index: index, filename: name, safeFilename: SafeFilename.make(name, fallback: "attachment-\(index + 1)"),
                contentType: part.contentType, size: size, isInline: part.isInline, contentID: part.contentID)
        }
        if let htmlSource {
            let images = Self.inlineImages(parts, in: message)
            html = HTMLSanitizer { images[$0] }.sanitize(htmlSource)
            text = plain.isEmpty ? HTMLText.plainText(htmlSource) : plain.joined(separator: "\n\n")
        } else {
            html = nil
            text = plain.joined(separator: "\n\n")
        }
    }

    /// The decoded bytes of attachment `index`.
    /// - Throws: ``ArchiveError/notFound(_:)`` for an index the message does not have.
    public func attachmentContent(_ index: Int) throws -> [UInt8] {
        guard parts.indices.contains(index) else { throw ArchiveError.notFound("attachment \(index)") }
        return try Self.content(of: parts[index], in: message)
    }

    static func content(of part: Attachment, in message: MailMessage) throws -> [UInt8] {
        if let block = part.uuencoded { return block.content }
        guard let entity = message.entity(at: part.address) else { throw ArchiveError.notFound("part \(part.path)") }
        return try entity.decodedContent()
    }

    /// `Name <address>, …` from the parsed list, or the decoded text when it does not parse.
    static func addresses(_ message: MailMessage, _ name: String) -> String {
        let list = message.addresses(name)
        if !list.isEmpty { return list.map(\.description).joined(separator: ", ") }
        return message.header.text(name) ?? ""
    }

    static func name(of part: Attachment, index: Int, in message: MailMessage) -> String {
        if let filename = part.filename, !filename.isEmpty { return filename }
        if part.role == .messageRFC822, let entity = message.entity(at: part.address), case .message(let inner) = entity.body {
            let subject = inner.entity.header.text("Subject").map { String($0.prefix(80)) } ?? "message"
            return "\(subject).eml"
        }
        let subtype = part.contentType.split(separator: "/").last.map(String.init) ?? "bin"
        return "attachment-\(index + 1).\(subtype)"
    }

    /// `data:` URLs of the raster images with a Content-ID, keyed by it.
    static func inlineImages(_ parts: [Attachment], in message: MailMessage) -> [String: String] {
        var images = [String: String]()
        for part in parts {
            guard let cid = part.contentID, URLPolicy.rasterImageTypes.contains(part.contentType),
                let bytes = try? content(of: part, in: message), bytes.count <= inlineImageLimit
            else { continue }
            images[cid] = "data:\(part.contentType);base64,\(Data(bytes).base64EncodedString())"
        }
        return images
    }
}

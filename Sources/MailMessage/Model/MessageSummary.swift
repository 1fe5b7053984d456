import Crypto

/// Everything the parser sees in a message, in the field names of `shared/corpus/manifest.json`
/// (what `sekisho inspect --json` prints and outside checks read).
public struct MessageSummary: Sendable, Codable {
    public struct AttachmentFacts: Sendable, Codable {
        public var mimePath: String
        public var filename: String?
        public var safeFilename: String
        public var contentType: String
        public var transferEncoding: String
        public var size: Int
        public var sha256: String
        public var inline: Bool
        public var role: Attachment.Role
        public var contentDisposition: String?
        public var contentID: String?
        public var insideMessageRFC822: String?
        public var unsafeFilenameReasons: [String]

        enum CodingKeys: String, CodingKey {
            case mimePath = "mime_path", filename, safeFilename = "safe_filename", contentType = "content_type"
            case transferEncoding = "transfer_encoding", size, sha256, inline, role
            case contentDisposition = "content_disposition", contentID = "content_id"
            case insideMessageRFC822 = "inside_message_rfc822", unsafeFilenameReasons = "unsafe_filename_reasons"
        }
    }

    public struct BodyPartFacts: Sendable, Codable {
        public var path: String
        public var contentType: String
        public var charset: String?
        public var transferEncoding: String
        public var insideMessageRFC822: String?

        enum CodingKeys: String, CodingKey {
            case path, contentType = "content_type", charset, transferEncoding = "transfer_encoding"
            case insideMessageRFC822 = "inside_message_rfc822"
        }
    }

    public struct TreeEntry: Sendable, Codable, Hashable {
        public var path: String
        public var contentType: String

        enum CodingKeys: String, CodingKey {
            case path, contentType = "content_type"
        }
    }

    public var subject: String?
    public var from: [Mailbox]
    public var to: [Mailbox]
    public var cc: [Mailbox]
    public var date: Int64?
    public var messageID: String?
    public var attachments: [AttachmentFacts]
    public var attachmentCount: Int
    public var userAttachmentCount: Int
    public var nestedAttachmentCount: Int
    public var inlinePartCount: Int
    public var bodyParts: [BodyPartFacts]
    public var bodyText: String
    public var mimeTree: [TreeEntry]
    public var partCount: Int
    public var maxPathComponents: Int
    public var maxNestingDepth: Int
    public var security: SecurityFacts
    public var warnings: [MessageWarning]

    enum CodingKeys: String, CodingKey {
        case subject, from, to, cc, date, messageID = "message_id", attachments
        case attachmentCount = "attachment_count", userAttachmentCount = "user_attachment_count"
        case nestedAttachmentCount = "nested_attachment_count", inlinePartCount = "inline_part_count"
        case bodyParts = "body_parts", bodyText = "body_text", mimeTree = "mime_tree", partCount = "part_count"
        case maxPathComponents = "max_path_components", maxNestingDepth = "max_nesting_depth", security, warnings
    }

    /// Summarises `message`: decodes every header and body text, hashes every attachment
    /// (streaming, so spooled parts are never loaded whole) and gathers every warning.
    public init(_ message: MailMessage) throws {
        var warnings = Warnings()
        for warning in message.parseWarnings { warnings.add(warning.code, warning.severity, warning.detail) }
        let structure = MessageStructure(message)

        // Headers.
        var headerNotes = EncodedWordDecoder.Notes()
        var rawHeaderNames = [String]()
        for name in ["Subject", "From", "To", "Cc"] {
            for field in message.header.all(name) {
                var notes = EncodedWordDecoder.Notes()
                _ = EncodedWordDecoder.decode(field.value, notes: &notes)
                if notes.raw8bit { rawHeaderNames.append(name) }
                Self.merge(notes, into: &headerNotes)
            }
        }
        subject = message.subject
        from = message.from
        to = message.to
        cc = message.cc
        date = message.date
        messageID = message.messageID
        if headerNotes.splitCharacter { warnings.add(.encodedWordSplitsCharacter, .info, "header") }
        if headerNotes.text.supersetNeeded { warnings.add(.charsetSupersetNeeded, .info, "header") }
        if headerNotes.text.unknownCharset { warnings.add(.unknownCharset, .warning, "header encoded word") }
        if headerNotes.rawNotUTF8 {
            warnings.add(.nonUTF8RawHeader, .warning, rawHeaderNames.joined(separator: ", "))
        } else if headerNotes.raw8bit {
            warnings.add(.raw8bitHeader, .info, rawHeaderNames.joined(separator: ", "))
        }

        // Parameters of every entity (file names, charsets).
        for located in structure.entities {
            for fieldName in ["Content-Type", "Content-Disposition"] {
                guard let field = located.entity.header[fieldName] else { continue }
                let notes = StructuredHeaderValue(field.value).notes
                if notes.rfc2047InParameter { warnings.add(.rfc2047InParameter, .info, "") }
                if notes.crlfInParameter { warnings.add(.crlfInParameter, .warning, "part \(located.path)") }
                if notes.splitCharacter { warnings.add(.encodedWordSplitsCharacter, .info, "parameter") }
                if notes.supersetNeeded { warnings.add(.charsetSupersetNeeded, .info, "parameter") }
                if notes.rawNotUTF8 {
                    warnings.add(.nonUTF8RawHeader, .warning, "parameter of part \(located.path)")
                } else if notes.raw8bit {
                    warnings.add(.raw8bitHeader, .info, "parameter of part \(located.path)")
                }
            }
        }

        // Attachments: size and hash of the decoded content.
        var facts = [AttachmentFacts]()
        var unsafeParts = [String]()
        var controlParts = [String]()
        for attachment in structure.attachments {
            var size = 0
            var hasher = SHA256()
            if let block = attachment.uuencoded {
                size = block.content.count
                hasher.update(data: block.content)
                warnings.add(.uuencodeInBody, .info, "begin \(block.mode) \(block.filename)")
            } else if let entity = message.entity(at: attachment.address) {
                let notes = try entity.forEachDecodedChunk { chunk in
                    size += chunk.count
                    hasher.update(bufferPointer: chunk)
                }
                if notes.invalidBase64 { warnings.add(.invalidBase64, .warning, "part \(attachment.path)") }
            }
            let digest = hasher.finalize().map { String($0, radix: 16).leftPadded(to: 2) }.joined()
            let reasons = attachment.unsafeFilenameReasons
            if !reasons.isEmpty { unsafeParts.append(attachment.path) }
            if !reasons.isDisjoint(with: [.nul, .controlChars, .bidiOverride]) { controlParts.append(attachment.path) }
            facts.append(
                AttachmentFacts(
                    mimePath: attachment.path, filename: attachment.filename, safeFilename: attachment.safeFilename,
                    contentType: attachment.contentType, transferEncoding: attachment.transferEncoding, size: size,
                    sha256: digest, inline: attachment.isInline, role: attachment.role,
                    contentDisposition: attachment.contentDisposition, contentID: attachment.contentID,
                    insideMessageRFC822: attachment.insideMessage, unsafeFilenameReasons: reasons.map(\.rawValue).sorted()
                )
            )
        }
        if !unsafeParts.isEmpty { warnings.add(.unsafeFilename, .warning, "parts " + unsafeParts.joined(separator: ", ")) }
        if !controlParts.isEmpty { warnings.add(.controlCharsInFilename, .warning, "parts " + controlParts.joined(separator: ", ")) }
        attachments = facts
        attachmentCount = facts.count
        userAttachmentCount = structure.attachments.filter(\.isUserAttachment).count
        nestedAttachmentCount = structure.attachments.filter { $0.insideMessage != nil && !$0.isInline }.count
        inlinePartCount = structure.attachments.filter(\.isInline).count

        // Body text.
        var textNotes = TextDecoder.Notes()
        bodyText = message.plainText(structure: structure, notes: &textNotes)
        for part in structure.bodyParts {
            if let label = part.charset, !MIMECharset(label: label).isKnown { warnings.add(.unknownCharset, .warning, label) }
            if let entity = message.entity(at: part.address) {
                let notes = try entity.forEachDecodedChunk { _ in }
                if notes.invalidBase64 { warnings.add(.invalidBase64, .warning, "part \(part.path)") }
            }
        }
        if textNotes.supersetNeeded { warnings.add(.charsetSupersetNeeded, .info, "body") }
        bodyParts = structure.bodyParts.map {
            BodyPartFacts(path: $0.path, contentType: $0.contentType, charset: $0.charset, transferEncoding: $0.transferEncoding, insideMessageRFC822: $0.insideMessage)
        }

        // Structure.
        mimeTree = structure.entities.map { TreeEntry(path: $0.path, contentType: $0.entity.contentType.mimeType) }
        partCount = structure.entities.count
        maxPathComponents = structure.entities.map { $0.path.isEmpty ? 0 : $0.path.split(separator: ".").count }.max() ?? 0
        maxNestingDepth = structure.entities.map(\.depth).max() ?? 0
        security = structure.security
        self.warnings = warnings.list
    }

    private static func merge(_ notes: EncodedWordDecoder.Notes, into total: inout EncodedWordDecoder.Notes) {
        total.containedEncodedWords = total.containedEncodedWords || notes.containedEncodedWords
        total.splitCharacter = total.splitCharacter || notes.splitCharacter
        total.raw8bit = total.raw8bit || notes.raw8bit
        total.rawNotUTF8 = total.rawNotUTF8 || notes.rawNotUTF8
        total.text.supersetNeeded = total.text.supersetNeeded || notes.text.supersetNeeded
        total.text.unknownCharset = total.text.unknownCharset || notes.text.unknownCharset
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

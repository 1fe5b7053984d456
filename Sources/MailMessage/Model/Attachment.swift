/// A leaf a user would not read as the message body: a user attachment, an inline image, a
/// forwarded message, winmail.dat, an S/MIME signature or envelope, or a uuencoded file inside a
/// text body.
public struct Attachment: Sendable {
    /// What the part is for.
    public enum Role: String, Sendable, Hashable, Codable {
        case attachment
        case inline
        case messageRFC822 = "message-rfc822"
        case tnef
        case smimeSignature = "smime-signature"
        case smimeEnveloped = "smime-enveloped"
    }

    /// IMAP part number of the entity (for uuencoded files: of the text part that holds them).
    public let path: String
    /// Index steps from the root (see ``LocatedEntity/address``).
    public let address: [Int]
    /// The decoded file name (`filename`, else `name`; for uuencode the `begin` line's name).
    public let filename: String?
    /// Lower-case `type/subtype`.
    public let contentType: String
    /// Lower-case Content-Transfer-Encoding (`7bit` when absent; `uuencode-in-body`).
    public let transferEncoding: String
    /// The role.
    public let role: Role
    /// Inline resource (Content-Disposition inline, or a cid-referenced part of
    /// multipart/related without a disposition).
    public let isInline: Bool
    /// The disposition type as written, lower-cased.
    public let contentDisposition: String?
    /// The Content-ID without brackets.
    public let contentID: String?
    /// Path of the enclosing message/rfc822 part.
    public let insideMessage: String?
    /// For a uuencoded file in a text body: the block.
    public let uuencoded: UUEncode.Block?

    /// Counted as something the user sent (attachments, forwarded messages, winmail.dat).
    public var isUserAttachment: Bool {
        (role == .attachment || role == .messageRFC822 || role == .tnef) && insideMessage == nil
    }

    /// Why the file name is unsafe (empty when it is fine or absent).
    public var unsafeFilenameReasons: Set<SafeFilename.Reason> {
        filename.map(SafeFilename.reasons) ?? []
    }

    /// The file name made safe (see ``SafeFilename/make(_:maxBytes:fallback:)``).
    public var safeFilename: String {
        SafeFilename.make(filename ?? "", fallback: "attachment")
    }
}

/// A text part that makes up the message body.
public struct BodyPart: Sendable {
    public let path: String
    public let address: [Int]
    /// Lower-case `type/subtype` (`text/plain`, `text/html`).
    public let contentType: String
    /// The charset label as written, lower-cased.
    public let charset: String?
    /// Lower-case Content-Transfer-Encoding (`7bit` when absent).
    public let transferEncoding: String
    /// Path of the enclosing message/rfc822 part.
    public let insideMessage: String?
}

/// Signature and encryption facts.
public struct SecurityFacts: Sendable, Hashable, Codable {
    public var signed = false
    public var encrypted = false
    public var signaturePart: String?
    public var signedPart: String?
    public var encryptedPart: String?

    enum CodingKeys: String, CodingKey {
        case signed, encrypted
        case signaturePart = "signature_part"
        case signedPart = "signed_part"
        case encryptedPart = "encrypted_part"
    }
}

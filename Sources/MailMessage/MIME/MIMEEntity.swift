/// One MIME entity — a message or a body part — as parsed: its header, the blank line that ended
/// the header, and its body. Every piece keeps its bytes, so an unchanged entity serialises
/// byte-identical; changed pieces are generated with CRLF.
public struct MIMEEntity: Sendable {
    /// The header fields.
    public var header: MessageHeader {
        didSet { contentType = Self.effectiveContentType(header, default: defaultContentType) }
    }
    /// The line that ended the header (`\r\n`, `\n`, or empty when the header ran into a
    /// delimiter or the end of input).
    public var headerTerminator: [UInt8]
    /// The body.
    public var body: MIMEBody
    /// The effective Content-Type (see ``effectiveContentType(_:default:)``).
    public private(set) var contentType: ContentType
    /// `text/plain` normally, `message/rfc822` inside multipart/digest.
    let defaultContentType: ContentType

    init(header: MessageHeader, headerTerminator: [UInt8], body: MIMEBody, defaultContentType: ContentType, contentType: ContentType? = nil) {
        self.header = header
        self.headerTerminator = headerTerminator
        self.body = body
        self.defaultContentType = defaultContentType
        self.contentType = contentType ?? Self.effectiveContentType(header, default: defaultContentType)
    }

    /// A new entity (for rewriting): header fields, a CRLF blank line and a leaf body.
    public init(header: MessageHeader, body: [UInt8]) {
        self.init(header: header, headerTerminator: [13, 10], body: .leaf(LeafBody(raw: BodyBytes(body))), defaultContentType: .plainText)
    }

    /// The Content-Type in force. With several Content-Type fields (an evasion trick), the
    /// multipart one with a boundary wins, since that is how the content is laid out; else the
    /// first. A missing field gives the default.
    static func effectiveContentType(_ header: MessageHeader, default fallback: ContentType) -> ContentType {
        let fields = header.all("Content-Type")
        guard let first = fields.first else { return fallback }
        if fields.count > 1 {
            for field in fields {
                let candidate = ContentType(field.value)
                if candidate.isMultipart && candidate.boundary != nil { return candidate }
            }
        }
        return ContentType(first.value)
    }

    /// The transfer encoding (7bit when absent).
    public var transferEncoding: TransferEncoding {
        TransferEncoding(headerValue: header["Content-Transfer-Encoding"].map { $0.valueString })
    }

    /// The parsed Content-Disposition, when present.
    public var contentDisposition: ContentDisposition? {
        header["Content-Disposition"].map { ContentDisposition($0.value) }
    }

    /// The decoded file name: Content-Disposition `filename`, else Content-Type `name`.
    public var filename: String? {
        if let name = contentDisposition?.filename, !name.isEmpty { return name }
        if let name = contentType.name, !name.isEmpty { return name }
        return nil
    }

    /// The Content-ID without angle brackets.
    public var contentID: String? {
        guard let field = header["Content-ID"] else { return nil }
        var text = field.valueString.trimmingASCIIWhitespace()
        if text.hasPrefix("<") { text.removeFirst() }
        if text.hasSuffix(">") { text.removeLast() }
        return text.isEmpty ? nil : text
    }

    /// Whether this entity is a multipart container.
    public var isMultipart: Bool {
        if case .multipart = body { return true }
        return false
    }

    /// The children of a multipart (empty otherwise).
    public var parts: [MIMEEntity] {
        if case .multipart(let multipart) = body { return multipart.parts.map(\.entity) }
        return []
    }
}

/// The body of an entity.
public indirect enum MIMEBody: Sendable {
    /// A leaf: raw, still transfer-encoded bytes.
    case leaf(LeafBody)
    /// A multipart container.
    case multipart(MultipartBody)
    /// message/rfc822 (or message/global) with the encapsulated message parsed.
    case message(EncapsulatedMessage)
}

/// The raw bytes of a leaf body.
public struct LeafBody: Sendable {
    /// The bytes as written (transfer-encoded), including the line break that precedes the next
    /// delimiter (RFC 2046 gives that line break to the delimiter: it is not content).
    public var raw: BodyBytes
    /// The length of that final line break (0, 1 or 2): `raw` minus it is the content.
    public var delimiterLineBreak: Int

    public init(raw: BodyBytes, delimiterLineBreak: Int = 0) {
        self.raw = raw
        self.delimiterLineBreak = min(max(0, delimiterLineBreak), raw.count)
    }

    /// The number of content bytes (still transfer-encoded).
    public var contentCount: Int { raw.count - delimiterLineBreak }
}

/// A multipart body: preamble, delimited parts, and the close delimiter with the epilogue.
public struct MultipartBody: Sendable {
    /// The boundary (raw bytes; recovered by sniffing when the parameter was missing).
    public var boundary: [UInt8]
    /// Everything before the first delimiter line.
    public var preamble: BodyBytes
    /// The parts, each with the delimiter line that introduced it.
    public var parts: [DelimitedPart]
    /// The close delimiter line and everything after it (empty when it was missing).
    public var epilogue: BodyBytes
    /// Whether a close delimiter was found.
    public var isClosed: Bool
}

/// A part of a multipart and the delimiter line (`--boundary` + line break) written before it.
public struct DelimitedPart: Sendable {
    public var delimiterLine: [UInt8]
    public var entity: MIMEEntity

    public init(delimiterLine: [UInt8], entity: MIMEEntity) {
        self.delimiterLine = delimiterLine
        self.entity = entity
    }
}

/// The message inside a message/rfc822 part.
public struct EncapsulatedMessage: Sendable {
    public var entity: MIMEEntity
    /// The length of the line break before the parent's next delimiter (not part of the
    /// encapsulated message's bytes).
    public var delimiterLineBreak: Int
}

extension ContentType {
    static let plainText = ContentType(type: "text", subtype: "plain")
    static let messageRFC822 = ContentType(type: "message", subtype: "rfc822")
}

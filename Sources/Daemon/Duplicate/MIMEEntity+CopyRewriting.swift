import MailMessage

/// Rewrites of single entities the copy sanitizer makes: new text in a text part, new content
/// in place of an entity's own.
extension MIMEEntity {
    /// Sets a text part's content to `text`: in the part's charset when that can hold it (UTF-8
    /// with `asUTF8`, or when it cannot; the `charset` parameter follows). The transfer encoding
    /// is kept unless it can no longer carry the bytes: then base64. `isTopLevel`: the entity is
    /// the message itself, whose body no delimiter follows.
    mutating func setText(_ text: String, asUTF8: Bool = false, isTopLevel: Bool) {
        let current = charset ?? MIMECharset(label: "us-ascii")
        let bytes: [UInt8]
        if !asUTF8, current.isKnown, let encoded = TextEncoder.encode(text, charset: current) {
            bytes = encoded
        } else {
            bytes = Array(text.utf8)
            if charset?.converter != .utf8 { setContentTypeParameter("charset", "UTF-8") }
        }
        if !Self.canCarry(bytes, transferEncoding) {
            header.set(HeaderField(name: "Content-Transfer-Encoding", rawValue: "base64"))
        }
        setContent(bytes)
        if isTopLevel { settleAtTop() }
    }

    /// A rewritten leaf ends with a line break for the next delimiter; the message itself has
    /// none after it, and the break would become content (a blank line more each rewrite). It is
    /// kept only where the content does not already end its last line.
    mutating func settleAtTop() {
        guard case .leaf(let leaf) = body, leaf.delimiterLineBreak > 0, let raw = try? leaf.raw.bytes(),
            raw.dropLast(leaf.delimiterLineBreak).last == 0x0A
        else { return }
        body = .leaf(LeafBody(raw: BodyBytes(Array(raw.dropLast(leaf.delimiterLineBreak)))))
    }

    /// Puts `replacement`'s content (its `Content-*` fields and body) in place of this entity's,
    /// keeping the other fields — for the top-level entity, the message header.
    mutating func replaceContent(with replacement: MIMEEntity) {
        var fields = MessageHeader(header.fields.filter { !Self.isContentField($0) })
        let contentFields = replacement.header.fields.filter(Self.isContentField)
        for field in contentFields { fields.append(field) }
        if !contentFields.contains(where: { $0.hasName("Content-Type") }) {
            // Say what the content is (and end the header with a line break).
            fields.append(HeaderField(name: "Content-Type", rawValue: "text/plain; charset=us-ascii"))
        }
        header = fields
        if headerTerminator.isEmpty { headerTerminator = [13, 10] }
        body = replacement.body
    }

    private static func isContentField(_ field: HeaderField) -> Bool {
        field.name.lowercased().hasPrefix("content-")
    }

    /// Whether `encoding` can carry `bytes` as they are (RFC 2045: 7bit is ASCII without NUL,
    /// 8bit has no NUL, both keep lines to 998 octets).
    private static func canCarry(_ bytes: [UInt8], _ encoding: TransferEncoding) -> Bool {
        switch encoding {
        case .base64, .quotedPrintable, .binary: return true
        case .uuencode, .other: return false
        case .sevenBit, .eightBit:
            if encoding == .sevenBit && bytes.contains(where: { $0 >= 0x80 }) { return false }
            var line = 0
            for byte in bytes {
                if byte == 0 { return false }
                line = byte == 0x0A ? 0 : line + 1
                if line > 999 { return false }  // 998 octets and a CR
            }
            return true
        }
    }
}

/// A notice put at the top of a message's text (SaMMA's "this mail's attachments were
/// encrypted", a copy mark, an external-sender warning).
public struct Banner: Sendable, Hashable {
    /// The plain-text banner (line breaks as `\n`).
    public var text: String
    /// The HTML banner; when `nil` the text is escaped into a `<div>`.
    public var html: String?

    public init(text: String, html: String? = nil) {
        self.text = text
        self.html = html
    }

    var htmlFragment: String {
        if let html { return html }
        let escaped = text.unicodeScalars.map { scalar -> String in
            switch scalar {
            case "&": "&amp;"
            case "<": "&lt;"
            case ">": "&gt;"
            case "\"": "&quot;"
            case "\n": "<br>\n"
            default: String(scalar)
            }
        }.joined()
        return "<div class=\"sekisho-banner\" style=\"border:1px solid #999;padding:6px;margin-bottom:8px\">\(escaped)</div>\n"
    }
}

extension MailMessage {
    /// Inserts `banner` at the top of the first text/plain and the first text/html body part
    /// (not inside forwarded messages), keeping each part's charset when the banner can be
    /// written in it — HTML uses character references for what cannot; plain text switches to
    /// UTF-8 only then. Returns the paths changed. Signed content is refused.
    @discardableResult
    public mutating func insertBanner(_ banner: Banner) throws(RewriteError) -> [String] {
        let structure = MessageStructure(self, scanUUEncode: false)
        let candidates = structure.bodyParts.filter { $0.insideMessage == nil }
        let targets = ["text/plain", "text/html"].compactMap { type in candidates.first { $0.contentType == type } }
        guard !targets.isEmpty else { throw .noTextBody }
        for target in targets where isUnderSignature(target.address) { throw .signed(target.path) }
        for target in targets {
            try modify(at: target.address) { (entity: inout MIMEEntity) throws(RewriteError) in
                if target.contentType == "text/html" {
                    Self.insertHTMLBanner(banner, into: &entity)
                } else {
                    Self.insertTextBanner(banner, into: &entity)
                }
            }
        }
        return targets.map(\.path)
    }

    /// Whether the entity at `address` is inside (or is) content covered by multipart/signed.
    public func isUnderSignature(_ address: [Int]) -> Bool {
        var current = root
        for step in address {
            if current.contentType.mimeType == "multipart/signed" { return true }
            switch current.body {
            case .multipart(let multipart): current = multipart.parts[step].entity
            case .message(let encapsulated): current = encapsulated.entity
            case .leaf: return false
            }
        }
        return false
    }

    private static func insertTextBanner(_ banner: Banner, into entity: inout MIMEEntity) {
        let original = (try? entity.decodedContent()) ?? []
        let charset = entity.charset ?? MIMECharset(label: "us-ascii")
        let text = MIMEEntity.normalizeLineBreaks(banner.text) + "\r\n\r\n"
        if let encoded = TextEncoder.encode(text, charset: charset) {
            entity.setContent(encoded + original)
            return
        }
        // The banner does not fit the part's charset: the part becomes UTF-8.
        var notes = TextDecoder.Notes()
        let body = TextDecoder.decode(original, charset: charset, notes: &notes)
        entity.setContentTypeParameter("charset", "UTF-8")
        if entity.transferEncoding.isIdentity {
            entity.header.set(HeaderField(name: "Content-Transfer-Encoding", rawValue: "base64"))
        }
        entity.setContent(Array((text + body).utf8))
    }

    private static func insertHTMLBanner(_ banner: Banner, into entity: inout MIMEEntity) {
        let original = (try? entity.decodedContent()) ?? []
        let charset = entity.charset ?? MIMECharset(label: "us-ascii")
        var notes = TextDecoder.Notes()
        let html = TextDecoder.decode(original, charset: charset, notes: &notes)
        let fragment = banner.htmlFragment
        let updated: String
        if let bodyTagEnd = bodyTagEnd(in: html) {
            updated = String(html[..<bodyTagEnd]) + "\n" + fragment + String(html[bodyTagEnd...])
        } else {
            updated = fragment + html
        }
        if notes.invalidSequences == 0, let encoded = encodeWithReferences(updated, charset: charset) {
            entity.setContent(encoded)
        } else {
            // The original is not cleanly decodable: keep its bytes and put the banner first.
            let prefix = encodeWithReferences(fragment, charset: charset) ?? Array(fragment.utf8)
            entity.setContent(prefix + original)
        }
    }

    /// The index just after `<body …>` (case-insensitive).
    private static func bodyTagEnd(in html: String) -> String.Index? {
        let lower = html.lowercased()
        guard lower.count == html.count, let range = lower.firstRange(of: "<body") else { return nil }
        let offset = lower.distance(from: lower.startIndex, to: range.lowerBound)
        let start = html.index(html.startIndex, offsetBy: offset)
        guard let close = html[start...].firstIndex(of: ">") else { return nil }
        return html.index(after: close)
    }

    /// Encodes HTML in `charset`, writing characters it lacks as `&#NNNN;`.
    private static func encodeWithReferences(_ html: String, charset: MIMECharset) -> [UInt8]? {
        if let bytes = TextEncoder.encode(html, charset: charset) { return bytes }
        var safe = ""
        for character in html {
            if TextEncoder.encode(String(character), charset: charset) != nil {
                safe.append(character)
            } else {
                safe += character.unicodeScalars.map { "&#\($0.value);" }.joined()
            }
        }
        return TextEncoder.encode(safe, charset: charset)
    }
}

import MailMessage

/// Step 5: the mark. The list of removed files is attached (`removed-attachments.txt`), the
/// banner goes at the top of the body with one line per removed file (a message without a text
/// body gets a text part for it), the Subject gets its prefix, and the mark header says where
/// the copy goes and what was done — replacing any field of that name that came in.
extension CopySanitizer {
    /// The name of the attached list of removed files.
    static let removedListName = "removed-attachments.txt"

    func markCopy(_ copy: inout SanitizedCopy, _ mark: CopyMark) throws(CopySanitizerError) {
        if !copy.removed.isEmpty {
            let parts = copy.removed.map { removed in
                RemovedPart(
                    address: [], name: removed.name, contentType: removed.contentType,
                    digest: ContentDigest(size: removed.size, sha256: removed.sha256), reason: removed.reason.description,
                    matchedInside: removed.matchedInside)
            }
            try attempt(.mark) { try copy.message.addPart(RemovalPlan.listPart(parts, filename: Self.removedListName)) }
        }
        if let banner = settings.banner {
            try insertBanner(bannerText(banner, removed: copy.removed), into: &copy)
        }
        if settings.changesBody && copy.message.header["MIME-Version"] == nil {
            // A plain RFC 5322 message that got a Content-Type (a banner in UTF-8, say).
            copy.message.header.append(HeaderField(name: "MIME-Version", rawValue: "1.0"))
        }
        if let prefix = settings.subjectPrefix, !prefix.isEmpty {
            let subject = copy.message.subject ?? ""
            if !subject.hasPrefix(prefix) { copy.message.setHeader("Subject", prefix + subject) }
        }
        if let name = settings.markHeader, !name.isEmpty {
            copy.message.setHeader(name, Self.markValue(copy, mark))
        }
    }

    /// Removed files the banner names at the most (the attached list has them all).
    static let bannerFileLimit = 20

    /// The banner, then the removed files, one a line (defanged too when URLs are: a file name
    /// can look like a host name).
    func bannerText(_ banner: String, removed: [RemovedAttachment]) -> String {
        guard !removed.isEmpty else { return banner }
        var lines = [banner, "", RemovalPlan.listHeading]
        for file in removed.prefix(Self.bannerFileLimit) {
            let line = "- \(file.name) (\(file.reason))"
            lines.append(settings.defangURLs ? URLDefanger.defang(line).text : line)
        }
        if removed.count > Self.bannerFileLimit {
            lines.append("- … \(removed.count - Self.bannerFileLimit) more / ほか \(removed.count - Self.bannerFileLimit) 件 (\(Self.removedListName))")
        }
        return lines.joined(separator: "\n")
    }

    /// Puts the banner at the top of the first text/plain and text/html bodies, or in a text
    /// part of its own at the front of a message that has no text body.
    private func insertBanner(_ text: String, into copy: inout SanitizedCopy) throws(CopySanitizerError) {
        do {
            Self.relabelASCIIText(&copy.message, toCarry: text)
            let changed = try copy.message.insertBanner(Banner(text: text))
            if changed.contains("1") && !copy.message.root.isMultipart { copy.message.root.settleAtTop() }
        } catch .noTextBody {
            try attempt(.mark) { try copy.message.addPart(.text(text + "\n")) }
            guard case .multipart(var multipart) = copy.message.root.body, let part = multipart.parts.popLast() else { return }
            multipart.parts.insert(part, at: 0)
            copy.message.root.body = .multipart(multipart)
        } catch {
            throw CopySanitizerError(step: .mark, reason: error.description)
        }
    }

    /// A US-ASCII text body about to take a Japanese banner is relabelled ISO-2022-JP, which its
    /// bytes already are: the body then stays 7bit and line for line as it came (a lone `.`
    /// included), where switching it to UTF-8 would base64 it.
    static func relabelASCIIText(_ message: inout MailMessage, toCarry banner: String) {
        guard TextEncoder.encode(banner, charset: MIMECharset(label: "us-ascii")) == nil,
            TextEncoder.encode(banner, charset: .iso2022JP) != nil,
            let part = bodyParts(message, ["text/plain"]).first, let entity = message.entity(at: part.address),
            entity.charset.map({ $0.converter == .ascii }) ?? true, entity.transferEncoding.isIdentity,
            let content = try? entity.decodedContent(), content.allSatisfy({ $0 < 0x80 && $0 != 0x1B && $0 != 0x0E && $0 != 0x0F })
        else { return }
        // Refused (signed content): the banner then does what it always does.
        try? message.modifyParts(at: [part.address]) { entity, _ in entity.setContentTypeParameter("charset", "ISO-2022-JP") }
    }

    /// `destination=internal; queue-id=ABC123; sanitized=attachments(2),urls(5)` (ASCII only).
    static func markValue(_ copy: SanitizedCopy, _ mark: CopyMark) -> String {
        let counts = [
            ("attachments", copy.removed.count), ("html-to-text", copy.htmlPartsConverted),
            ("active-content", copy.activeContentRemoved), ("urls", copy.urlsDefanged),
        ].filter { $0.1 > 0 }
        let done = counts.isEmpty ? "none" : counts.map { "\($0.0)(\($0.1))" }.joined(separator: ",")
        var fields = ["destination=\(token(mark.destination))"]
        if let queueID = mark.queueID { fields.append("queue-id=\(token(queueID))") }
        fields.append("sanitized=\(done)")
        return fields.joined(separator: "; ")
    }

    /// Printable ASCII without the value's separators and quotes; anything else becomes `_`.
    private static func token(_ text: String) -> String {
        let cleaned = text.unicodeScalars.map { scalar -> Character in
            scalar.value > 32 && scalar.value < 127 && !";,\"=()\\".unicodeScalars.contains(scalar) ? Character(scalar) : "_"
        }
        return cleaned.isEmpty ? "_" : String(cleaned)
    }
}

import Foundation
import MailMessage

/// Reads a stored copy into an ``IndexDocument``: decoded header fields, the body as text
/// (every text part, HTML reduced to text, charsets converted), attachment names and the text
/// of text-like attachments (plain text, CSV, HTML, XML/JSON by name or type; PDF and Office
/// through ``AttachmentTextExtractors``). Bounded: each text at most `maximumText` bytes.
struct DocumentBuilder: Sendable {
    var extractors: AttachmentTextExtractors
    /// Where large parts are spooled while parsing and extractors get their files.
    var scratch: URL
    var maximumText = 2 << 20

    static let textExtensions: Set<String> = ["txt", "csv", "tsv", "text", "log", "md", "html", "htm", "xml", "json", "eml", "ics", "vcf"]

    func document(_ bytes: [UInt8], copy: StoredCopy) -> IndexDocument {
        (try? document(streaming: { emit in try bytes.withUnsafeBytes { try emit($0) } }, copy: copy))
            ?? IndexDocument(
                copy: copy, date: nil, messageID: nil, subject: "", from: "", to: "", cc: "",
                body: clip(String(decoding: bytes.prefix(maximumText), as: UTF8.self)), attachmentNames: [], attachmentText: "", headerAddresses: []
            )
    }

    /// Parses what `produce` emits (chunk by chunk; large parts spooled under `scratch`).
    /// Throws only when the producer does (a missing or damaged file).
    func document<Result>(streaming produce: ((UnsafeRawBufferPointer) throws -> Void) throws -> Result, copy: StoredCopy) throws -> IndexDocument {
        var options = MIMEParserOptions()
        options.spoolDirectory = scratch.path
        let parser = MIMEStreamParser(options: options)
        var head = [UInt8]()
        var parseFailed = false
        _ = try produce { chunk in
            if head.count < maximumText { head.append(contentsOf: chunk.prefix(maximumText - head.count)) }
            guard !parseFailed else { return }
            do { try parser.feed(chunk) } catch { parseFailed = true }
        }
        guard !parseFailed, let message = try? parser.finish() else {
            // Not parseable as MIME at all: index the raw text so it is still found.
            return IndexDocument(
                copy: copy, date: nil, messageID: nil, subject: "", from: "", to: "", cc: "",
                body: clip(String(decoding: head, as: UTF8.self)), attachmentNames: [], attachmentText: "", headerAddresses: []
            )
        }
        let structure = MessageStructure(message, scanUUEncode: true)
        var names = [String]()
        var texts = [String]()
        var textBytes = 0
        for attachment in structure.attachments where attachment.role != .smimeSignature && attachment.role != .smimeEnveloped {
            if let name = attachment.filename.map({ SearchStatement.plain(clip($0)) }), !name.isEmpty { names.append(name) }
            guard textBytes < maximumText, attachment.role != .messageRFC822, let entity = message.entity(at: attachment.address) else { continue }
            let fileExtension = attachment.filename.flatMap { name in name.lastIndex(of: ".").map { String(name[name.index(after: $0)...]).lowercased() } } ?? ""
            let type = attachment.contentType
            var text: String?
            if type.hasPrefix("text/") || Self.textExtensions.contains(fileExtension) {
                if let decoded = try? entity.decodedText() {
                    text = type == "text/html" || fileExtension.hasPrefix("htm") ? HTMLText.plainText(decoded) : decoded
                }
            } else if !fileExtension.isEmpty, extractors.commands[fileExtension] != nil, let content = try? entity.decodedContent() {
                text = extractors.text(of: content, fileExtension: fileExtension, scratch: scratch)
            }
            if let text, !text.isEmpty {
                let clipped = clip(text)
                texts.append(clipped)
                textBytes += clipped.utf8.count
            }
        }
        // Forwarded messages' own attachments are in the structure too; uniqueness keeps the list short.
        var seen = Set<String>()
        names = names.filter { seen.insert($0).inserted }
        return document(message, copy: copy, structure: structure, names: names, texts: texts)
    }

    private func document(_ message: MailMessage, copy: StoredCopy, structure: MessageStructure, names: [String], texts: [String]) -> IndexDocument {
        func list(_ boxes: [Mailbox]) -> String { boxes.map(\.description).joined(separator: ", ") }
        let headerAddresses = (message.from + message.to + message.cc).map { $0.address.lowercased() }.filter { !$0.isEmpty }
        return IndexDocument(
            copy: copy, date: message.date.map { Date(timeIntervalSince1970: TimeInterval($0)) }, messageID: message.messageID,
            subject: clip(message.subject ?? ""), from: clip(list(message.from)), to: clip(list(message.to)), cc: clip(list(message.cc)),
            body: clip(message.plainText(structure: structure)), attachmentNames: names, attachmentText: texts.joined(separator: "\n"),
            headerAddresses: headerAddresses
        )
    }

    /// At most `maximumText` bytes, NUL bytes as spaces (SQLite text ends at a NUL).
    private func clip(_ text: String) -> String {
        var text = text.contains("\u{0}") ? text.replacingOccurrences(of: "\u{0}", with: " ") : text
        // The snippet markers never come from mail.
        if text.contains(ArchiveSnippet.open) || text.contains(ArchiveSnippet.close) {
            text = text.replacingOccurrences(of: ArchiveSnippet.open, with: "").replacingOccurrences(of: ArchiveSnippet.close, with: "")
        }
        guard text.utf8.count > maximumText else { return text }
        return String(decoding: text.utf8.prefix(maximumText), as: UTF8.self)
    }
}

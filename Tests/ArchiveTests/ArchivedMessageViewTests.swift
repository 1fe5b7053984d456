import Archive
import Crypto
import Foundation
import TestSupport
import Testing

@Suite struct ArchivedMessageViewTests {
    static let withAttachments = ["p10", "p11", "p12", "p13", "p14", "p15", "p16", "p17", "p18", "p19", "p20", "p31", "p32", "p33", "p34", "p56", "p60", "p64"]

    /// Every top-level attachment of the corpus: the exact decoded name, the type, the size and
    /// the decoded bytes (SHA-256) as the manifest says.
    @Test(arguments: withAttachments)
    func attachmentsMatchTheManifest(_ id: String) throws {
        let view = try ArchivedMessageView(bytes: try Corpus.bytes(id))
        let expected = (Corpus.entry(id)["attachments"] as? [[String: Any]] ?? []).filter { $0["inside_message_rfc822"] is NSNull }
        try #require(view.attachments.count == expected.count, "\(id): \(view.attachments.map(\.filename))")
        for (item, facts) in zip(view.attachments, expected) {
            if let name = facts["filename"] as? String {
                let alternatives = [name] + (facts["filename_alternatives"] as? [String] ?? [])
                #expect(alternatives.contains(item.filename), "\(id) \(item.filename)")
            }
            #expect(item.contentType == facts["content_type"] as? String)
            #expect(item.size == facts["size"] as? Int)
            let digest = SHA256.hash(data: try view.attachmentContent(item.index)).map { String(format: "%02x", $0) }.joined()
            #expect(digest == facts["sha256"] as? String, "\(id) \(item.filename)")
            #expect(!item.safeFilename.contains("/") && !item.safeFilename.contains("\r"))
        }
    }

    @Test(arguments: ["p01", "p02", "p03", "p04", "p05", "p06", "p07", "p08", "p11", "p20"])
    func headersAreDecoded(_ id: String) throws {
        let view = try ArchivedMessageView(bytes: try Corpus.bytes(id))
        let entry = Corpus.entry(id)
        #expect(view.subject == entry["subject"] as? String)
        let from = (entry["from"] as? [[String: Any]] ?? []).first
        #expect(view.from.contains(from?["address"] as? String ?? "?"))
        if let name = from?["name"] as? String, !name.isEmpty { #expect(view.from.contains(name)) }
        #expect(view.headers.contains { $0.name.lowercased() == "subject" && $0.value == view.subject })
        #expect(!view.text.isEmpty)
    }

    @Test func japaneseBodyTextIsDecoded() throws {
        let view = try ArchivedMessageView(bytes: try Corpus.bytes("p03"))
        let body = Corpus.entry("p03")["body_text_contains"] as? [String] ?? []
        for fragment in body { #expect(view.text.contains(fragment)) }
        #expect(view.html == nil)
    }

    @Test func inlineImagesAreEmbeddedAndTheHTMLIsSanitized() throws {
        let view = try ArchivedMessageView(bytes: try Corpus.bytes("p31"))
        let html = try #require(view.html?.html)
        #expect(html.contains("src=\"data:image/png;base64,"))
        #expect(!html.lowercased().contains("cid:"))
        #expect(view.attachments.first?.isInline == true)
    }

    @Test func htmlOnlyMailGetsTextFromTheHTML() throws {
        let raw = """
            From: a@example.jp\r\nTo: b@example.jp\r\nSubject: =?UTF-8?B?44GC44GE44GG?=\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=UTF-8\r\n\r\n\
            <html><body><p>こんにちは<script>alert(1)</script></p><img src="http://127.0.0.1:9/b.gif"></body></html>\r\n
            """
        let view = try ArchivedMessageView(bytes: Array(raw.utf8))
        #expect(view.subject == "あいう")
        #expect(view.text.contains("こんにちは"))
        #expect(!view.text.contains("alert"))
        let html = try #require(view.html)
        #expect(html.blockedRemoteContent == 1)
        #expect(!html.html.contains("script"))
        #expect(throws: ArchiveError.self) { try view.attachmentContent(0) }
    }
}

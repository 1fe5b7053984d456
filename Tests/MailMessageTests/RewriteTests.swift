import Foundation
import Testing
import TestSupport

@testable import MailMessage

/// Rewrites, checked by reading the result back with our parser and with independent readers
/// (CPython's email package, ripmime, munpack); untouched parts must keep their exact bytes.
@Suite("Rewriting")
struct RewriteTests {
    /// The bytes of each entity of a message, by path (round trip is proven separately, so these
    /// are the original bytes of each part).
    private func partBytes(_ message: MailMessage) throws -> [String: [UInt8]] {
        var result = [String: [UInt8]]()
        for located in message.entities where !located.path.isEmpty { result[located.path] = try MIMESerializer.bytes(located.entity) }
        return result
    }

    private func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, needle.count <= haystack.count else { return needle.isEmpty }
        let first = needle[0]
        var index = 0
        while index + needle.count <= haystack.count {
            if haystack[index] == first, haystack[index..<(index + needle.count)].elementsEqual(needle) { return true }
            index += 1
        }
        return false
    }

    @Test("remove an attachment: the others stay byte-identical; Python, ripmime and munpack agree")
    func removePart() async throws {
        guard try ExternalReaders.require() else { return }
        let original = try MailMessage.parse(Corpus.bytes("p30"))
        let before = try partBytes(original)
        var message = original
        let removed = try message.removePart(path: "3")
        let removedName = try #require(removed.filename)
        let output = try message.serialized()
        for (path, bytes) in before where path != "3" && !path.hasPrefix("3.") {
            if ["4", "5", "6", "7"].contains(path) { continue }  // renumbered, checked below by content
            #expect(contains(output, bytes), "part \(path) changed")
        }
        for path in ["4", "5", "6", "7"] { #expect(contains(output, try #require(before[path])), "part \(path) changed") }
        let reparsed = try MailMessage.parse(output)
        let names = MessageStructure(reparsed).attachments.compactMap(\.filename)
        #expect(!names.contains(removedName))
        #expect(names.count == MessageStructure(original).attachments.count - 1)

        let directory = try ExternalReaders.temporaryDirectory()
        let file = try ExternalReaders.write(output, in: directory)
        let view = try await ExternalReaders.pythonView(file)
        #expect(view.defects.isEmpty, "\(view.defects)")
        #expect(view.parts.compactMap(\.filename).sorted() == names.sorted())
        let ripped = try await ExternalReaders.ripmimeFiles(file)
        #expect(ripped[removedName] == nil)
        for name in names where name.allSatisfy(\.isASCII) { #expect(ripped[name] != nil, "ripmime lacks \(name): \(ripped.keys.sorted())") }
        let unpacked = try await ExternalReaders.munpackFiles(file)
        #expect(unpacked[removedName] == nil)
        for name in names where name.allSatisfy(\.isASCII) { #expect(unpacked[name] != nil, "munpack lacks \(name): \(unpacked.keys.sorted())") }
    }

    @Test("remove many parts at once: 9,999 attachments in linear time, the text part byte-identical; all or nothing", .timeLimit(.minutes(1)))
    func removeManyParts() throws {
        let original = try MailMessage.parse(Corpus.bytes("p62"))
        let structure = MessageStructure(original)
        let attachments = structure.attachments.filter(\.isUserAttachment)
        #expect(attachments.count == 9_999)
        let text = try MIMESerializer.bytes(try #require(original.entity(path: "1")?.entity))
        var message = original
        try message.removeParts(at: attachments.map(\.address))
        #expect(MessageStructure(message).attachments.isEmpty)
        #expect(message.entities.count == 2)
        #expect(try MIMESerializer.bytes(try #require(message.entity(at: [0]))) == text)
        #expect(contains(try message.serialized(), text))

        // A bad address anywhere: nothing is removed.
        var untouched = original
        #expect(throws: RewriteError.self) { try untouched.removeParts(at: [attachments[0].address, [99_999]]) }
        #expect(MessageStructure(untouched).attachments.count == 9_999)

        // Nested parents: inner ones first, so the outer removal cannot shift them.
        let nested = try MailMessage.parse(Array("""
            Content-Type: multipart/mixed; boundary=o\r\n\r\n--o\r\nContent-Type: text/plain\r\n\r\nbody\r\n--o\r\nContent-Type: application/a\r\n\r\nA\r\n\
            --o\r\nContent-Type: multipart/mixed; boundary=i\r\n\r\n--i\r\nContent-Type: application/b\r\n\r\nB\r\n--i\r\nContent-Type: application/c\r\n\r\nC\r\n--i--\r\n--o--\r\n
            """.utf8))
        var trimmed = nested
        try trimmed.removeParts(at: [[1], [2, 0]])
        let types = trimmed.entities.map(\.entity.contentType.mimeType)
        #expect(types == ["multipart/mixed", "text/plain", "multipart/mixed", "application/c"])
    }

    @Test("modify many parts in one walk: 9,999 attachments changed, the text part byte-identical; inner before outer; signed refused", .timeLimit(.minutes(1)))
    func modifyManyParts() throws {
        let original = try MailMessage.parse(Corpus.bytes("p62"))
        let attachments = MessageStructure(original).attachments.filter(\.isUserAttachment)
        let text = try MIMESerializer.bytes(try #require(original.entity(at: [0])))
        var message = original
        var seen = [[Int]]()
        try message.modifyParts(at: attachments.map(\.address)) { entity, address in
            seen.append(address)
            entity.setContent(Array("changed \(address[0])".utf8))
        }
        #expect(seen == attachments.map(\.address))
        let reparsed = try MailMessage.parse(try message.serialized())
        #expect(try reparsed.entity(at: [9_999])?.decodedContent() == Array("changed 9999".utf8))
        #expect(try MIMESerializer.bytes(try #require(reparsed.entity(at: [0]))) == text)

        let nested = try MailMessage.parse(Array("Content-Type: multipart/mixed; boundary=o\r\n\r\n--o\r\nContent-Type: text/plain\r\n\r\nA\r\n--o--\r\n".utf8))
        var order = [[Int]]()
        var changed = nested
        try changed.modifyParts(at: [[], [0]]) { _, address in order.append(address) }
        #expect(order == [[0], []])

        var signed = try MailMessage.parse(Corpus.bytes("p36"))
        #expect(throws: RewriteError.self) { try signed.modifyParts(at: [[0, 0]]) { _, _ in } }
    }

    @Test("replace an attachment with a new one named in Japanese")
    func replacePart() async throws {
        guard try ExternalReaders.require() else { return }
        var message = try MailMessage.parse(Corpus.bytes("p20"))
        let content = Array("置き換えました。\r\n".utf8)
        try message.replacePart(path: "2", with: .attachment(filename: "置換済み_①㈱.txt", contentType: "text/plain", content: content))
        let output = try message.serialized()
        let reparsed = try MailMessage.parse(output)
        let structure = MessageStructure(reparsed)
        #expect(structure.attachments.first?.filename == "置換済み_①㈱.txt")
        #expect(try reparsed.entity(path: "2")?.entity.decodedContent() == content)

        let file = try ExternalReaders.write(output, in: try ExternalReaders.temporaryDirectory())
        let view = try await ExternalReaders.pythonView(file)
        #expect(view.defects.isEmpty, "\(view.defects)")
        let part = try #require(view.parts.first { $0.filename == "置換済み_①㈱.txt" })
        #expect(part.size == content.count)
        #expect(part.attachment)
        let ripped = try await ExternalReaders.ripmimeFiles(file)
        #expect(ripped.values.contains(Data(content)))
    }

    @Test("add an attachment to a single-part message: it is wrapped in multipart/mixed")
    func addPart() async throws {
        guard try ExternalReaders.require() else { return }
        let original = try Corpus.bytes("p03")
        var message = try MailMessage.parse(original)
        let originalBody = try message.root.decodedContent()
        let payload = (0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try message.addPart(.attachment(filename: "quote-2024.pdf", contentType: "application/pdf", content: payload))
        let output = try message.serialized()
        let reparsed = try MailMessage.parse(output)
        #expect(reparsed.root.contentType.mimeType == "multipart/mixed")
        #expect(reparsed.subject == "【重要】2024年度 下期 予算会議の日程調整について（ご回答のお願い）")
        #expect(try reparsed.entity(path: "1")?.entity.decodedContent() == originalBody)
        #expect(try reparsed.entity(path: "2")?.entity.decodedContent() == payload)

        let file = try ExternalReaders.write(output, in: try ExternalReaders.temporaryDirectory())
        let view = try await ExternalReaders.pythonView(file)
        #expect(view.defects.isEmpty, "\(view.defects)")
        #expect(view.content_type == "multipart/mixed")
        #expect(view.texts.first?.contains("予算会議") == true)
        #expect(view.parts.last?.filename == "quote-2024.pdf")
        #expect(view.parts.last?.size == payload.count)
        let ripped = try await ExternalReaders.ripmimeFiles(file)
        #expect(ripped["quote-2024.pdf"] == Data(payload))
        let unpacked = try await ExternalReaders.munpackFiles(file)
        #expect(unpacked["quote-2024.pdf"] == Data(payload))
    }

    @Test("banner at the top of text and HTML bodies, charset kept")
    func banner() async throws {
        guard try ExternalReaders.require() else { return }
        let banner = Banner(text: "【注意】このメールの添付ファイルは暗号化されました。\nAttachments were encrypted.")
        // ISO-2022-JP plain text keeps its charset.
        var japanese = try MailMessage.parse(Corpus.bytes("p03"))
        #expect(try japanese.insertBanner(banner) == ["1"])
        let japaneseOut = try japanese.serialized()
        #expect(try MailMessage.parse(japaneseOut).root.contentType.charsetLabel == "iso-2022-jp")
        var file = try ExternalReaders.write(japaneseOut, in: try ExternalReaders.temporaryDirectory())
        var view = try await ExternalReaders.pythonView(file)
        #expect(view.texts.first?.hasPrefix("【注意】このメールの添付ファイルは暗号化されました。\nAttachments were encrypted.\n\n") == true)
        #expect(view.texts.first?.contains("よろしくお願いいたします") == true)

        // Alternative (UTF-8 base64): both the text and the HTML get it; other parts untouched.
        let original = try MailMessage.parse(Corpus.bytes("p31"))
        var alternative = original
        #expect(try alternative.insertBanner(banner) == ["1.1.1", "1.1.2"])
        let output = try alternative.serialized()
        for path in ["1.2", "1.3", "2"] { #expect(contains(output, try MIMESerializer.bytes(try #require(original.entity(path: path)).entity))) }
        let reparsed = try MailMessage.parse(output)
        #expect(reparsed.entity(path: "1.1.1")?.entity.contentType.charsetLabel == "iso-2022-jp")
        #expect(reparsed.entity(path: "1.1.2")?.entity.contentType.charsetLabel == "utf-8")
        file = try ExternalReaders.write(output, in: try ExternalReaders.temporaryDirectory())
        view = try await ExternalReaders.pythonView(file)
        #expect(view.defects.isEmpty, "\(view.defects)")
        #expect(view.texts.count >= 2)
        #expect(view.texts.allSatisfy { $0.contains("添付ファイルは暗号化されました") })

        // A US-ASCII body switches to UTF-8 only because the banner needs it.
        var ascii = try MailMessage.parse(Corpus.bytes("p01"))
        try ascii.insertBanner(banner)
        let asciiOut = try MailMessage.parse(try ascii.serialized())
        #expect(asciiOut.root.contentType.charsetLabel == "utf-8")
        #expect(try asciiOut.root.decodedText().hasPrefix("【注意】"))
    }

    @Test("signed content is refused")
    func signedRefused() throws {
        var message = try MailMessage.parse(Corpus.bytes("p36"))
        #expect(throws: RewriteError.self) { try message.insertBanner(Banner(text: "x")) }
        #expect(throws: RewriteError.self) { try message.addPart(.attachment(filename: "a.txt", content: [1])) }
    }

    @Test("headers: set in ISO-2022-JP or UTF-8, folded, decoded back")
    func headers() throws {
        var message = try MailMessage.parse(Corpus.bytes("p02"))
        message.setHeader("Subject", "【暗号化】①売上集計_㈱髙島屋様～確定版のご送付", encoding: .iso2022JP)
        message.addHeader("X-Sekisho", "encrypted; 添付 2 件", encoding: .utf8)
        let reparsed = try MailMessage.parse(try message.serialized())
        #expect(reparsed.subject == "【暗号化】①売上集計_㈱髙島屋様～確定版のご送付")
        #expect(reparsed.header.text("X-Sekisho") == "encrypted; 添付 2 件")
        #expect(reparsed.header.all("Subject").count == 1)
        #expect(reparsed.header["Subject"]?.raw.allSatisfy { $0 < 0x80 } == true)
    }
}

import TestSupport
import Foundation
import Testing

@testable import MailMessage

/// Inputs built to break a parser: overflow, quadratic time, chunking tricks, descriptor
/// exhaustion, hostile names, broken rewrites. Each was found by review or fuzzing.
@Suite("Hostile input")
struct HostileInputTests {
    /// What a parse found, for comparing parses of the same bytes.
    private func shape(_ message: MailMessage) throws -> [String] {
        try MessageStructure(message).entities.map { located in
            let size = (try? located.entity.decodedContent().count) ?? -1
            return "\(located.path) \(located.entity.contentType.mimeType) \(located.entity.filename ?? "-") \(size)"
        }
    }

    /// Parses `bytes` whole and in chunks of several sizes; every parse must agree.
    private func parsesAlike(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) throws -> MailMessage {
        let whole = try MailMessage.parse(bytes)
        let expected = try shape(whole)
        for chunk in [1, 7, 1000, 65_535, 65_537, 100_000] where chunk < bytes.count {
            let parser = MIMEStreamParser()
            var offset = 0
            while offset < bytes.count {
                try parser.feed(bytes[offset..<min(bytes.count, offset + chunk)])
                offset += chunk
            }
            let chunked = try parser.finish()
            #expect(try shape(chunked) == expected, "chunks of \(chunk)", sourceLocation: sourceLocation)
            #expect(try chunked.serialized() == bytes, "round trip, chunks of \(chunk)", sourceLocation: sourceLocation)
        }
        #expect(try whole.serialized() == bytes, sourceLocation: sourceLocation)
        return whole
    }

    private let head = "From: a@example.com\r\nSubject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"

    @Test("a delimiter followed by 200,000 spaces is a delimiter however the input is chunked")
    func longDelimiterLine() throws {
        let bytes = Array((head + "--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b" + String(repeating: " ", count: 200_000) + "\r\nContent-Type: application/x-msdownload; name=\"evil.exe\"\r\nContent-Transfer-Encoding: base64\r\n\r\nTVqQ\r\n--b--\r\n").utf8)
        let message = try parsesAlike(bytes)
        #expect(MessageStructure(message).attachments.map(\.filename) == ["evil.exe"])
    }

    @Test("a 200,000-byte line in a part header ends the header the same way in every chunking")
    func longNonHeaderLine() throws {
        let bytes = Array((head + "--b\r\nContent-Type: text/plain\r\n" + String(repeating: "x", count: 200_000) + "\r\nContent-Type: application/octet-stream; name=\"hidden.bin\"\r\n\r\ndata\r\n--b--\r\n").utf8)
        let message = try parsesAlike(bytes)
        #expect(message.entity(path: "1")?.entity.contentType.mimeType == "text/plain")
    }

    @Test("a 200 KB binary line whose CRLF falls on a buffer boundary keeps its size")
    func crAtBoundary() throws {
        let line = String(repeating: "A", count: 65_535) + String(repeating: "B", count: 140_000)
        let bytes = Array((head + "--b\r\nContent-Type: application/octet-stream; name=\"x.bin\"\r\n\r\n" + line + "\r\n--b--\r\n").utf8)
        let message = try parsesAlike(bytes)
        #expect(try message.entity(path: "1")?.entity.decodedContent().count == line.utf8.count)
    }

    @Test("an endless header line is cut at the header limit")
    func endlessHeader() throws {
        var options = MIMEParserOptions()
        options.maxHeaderBytes = 100_000
        let bytes = Array(("Subject: " + String(repeating: "y", count: 300_000) + "\r\n\r\nbody\r\n").utf8)
        let message = try MailMessage.parse(bytes, options: options)
        #expect(message.parseWarnings.contains { $0.code == .headerTooLarge })
        #expect(try message.serialized() == bytes)
    }

    @Test("10,000 spooled parts use one spool file descriptor", .timeLimit(.minutes(1)))
    func oneSpoolFile() throws {
        // A spool directory of its own: descriptors are counted by where they point, since
        // other tests open files in this process at the same time.
        let directory = try ExternalReaders.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var options = MIMEParserOptions()
        options.memoryLimit = 0
        options.spoolDirectory = directory.path
        let message = try MailMessage.parse(contentsOfFile: Corpus.path("p62"), options: options)
        let spoolDescriptors = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").filter { fd in
            let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(fd)")) ?? ""
            return target.hasPrefix(directory.path)
        }
        #expect(spoolDescriptors.count == 1, "\(spoolDescriptors.count) spool descriptors held by one message")
        let attachments = MessageStructure(message).attachments
        #expect(attachments.count == 9_999)
        let sizes = try attachments.prefix(50).map { try #require(message.entity(at: $0.address)).decodedContent().count }
        #expect(sizes.allSatisfy { $0 > 0 })
        #expect(try message.serialized() == Corpus.bytes("p62"))
    }

    @Test("linear time on hostile header values and HTML", .timeLimit(.minutes(1)))
    func noQuadraticTime() throws {
        let words = String(repeating: "=?a?b?x", count: 140_000)
        let parameter = StructuredHeaderValue(Array("text/plain; name=?=\(words)".utf8))
        #expect(parameter.parameters["name"] != nil)
        _ = EncodedWordDecoder.decode(Array(words.utf8))
        _ = HTMLText.plainText(String(repeating: "<", count: 200_000))
        _ = SafeFilename.make(String(repeating: ".", count: 1_000_000) + "x")
        _ = UUEncode.blocks(in: Array(("begin 644 x\n" + String(repeating: "\n", count: 5_000_000)).utf8))
        var decoder = TransferDecoder(.quotedPrintable)
        var output = [UInt8]()
        let chunk = [UInt8](repeating: UInt8(ascii: "q"), count: 65_536)
        for _ in 0..<80 { chunk.withUnsafeBytes { decoder.decode($0, into: &output) } }
        decoder.finish(into: &output)
        #expect(output.count == 80 * 65_536)
    }

    @Test("dates with absurd years are not dates, not crashes")
    func absurdDates() {
        #expect(DateParser.parse("1 Jan 300000000000 00:00 +0000") == nil)
        #expect(DateParser.parse("1 Jan 99999999999999999 00:00 +0000") == nil)
        #expect(DateParser.parse("1 Jan 2024 00:00 +9999") != nil)
    }

    @Test("combining marks cannot hide separators or empty a name")
    func combiningMarks() {
        let sneaky = "..\u{301}/\u{301}etc/\u{301}passwd"
        #expect(!SafeFilename.make(sneaky).contains("/"))
        #expect(!SafeFilename.reasons(sneaky).isEmpty)
        let marks = "X" + String(repeating: "\u{301}", count: 200) + ".exe"
        let safe = SafeFilename.make(marks)
        #expect(safe.utf8.count <= 255)
        #expect(safe != ".exe" && !safe.hasPrefix("."))
        #expect(SafeFilename.make("a.b" + String(repeating: "\u{301}", count: 300)).utf8.count <= 255)
    }

    @Test("header edits after a header that ended at the end of input")
    func headerAtEndOfInput() throws {
        var message = try MailMessage.parse(Array("Subject: hi".utf8))
        message.addHeader("X-Sekisho", "scanned")
        let reparsed = try MailMessage.parse(try message.serialized())
        #expect(reparsed.subject == "hi")
        #expect(reparsed.header.text("X-Sekisho") == "scanned")
        var prepended = try MailMessage.parse(Array(" forged\r\nSubject: a\r\n\r\nbody\r\n".utf8))
        prepended.header.prepend(HeaderField(name: "X-Scan", rawValue: "infected"))
        let again = try MailMessage.parse(try prepended.serialized())
        #expect(again.header.text("X-Scan") == "infected")
    }

    @Test("adding a part to a multipart without a boundary makes it visible")
    func addToBoundaryless() throws {
        var message = try MailMessage.parse(Array("Content-Type: multipart/mixed\r\n\r\nno delimiters here\r\n".utf8))
        try message.addPart(.attachment(filename: "a.txt", content: Array("a".utf8)))
        let reparsed = try MailMessage.parse(try message.serialized())
        #expect(MessageStructure(reparsed).attachments.map(\.filename) == ["a.txt"])
    }

    @Test("replacing a part whose delimiter ended the input")
    func replaceAfterFinalDelimiter() throws {
        var message = try MailMessage.parse(Array((head + "--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b").utf8))
        try message.replacePart(path: "2", with: .attachment(filename: "new.txt", content: Array("n".utf8)))
        let reparsed = try MailMessage.parse(try message.serialized())
        #expect(MessageStructure(reparsed).attachments.map(\.filename) == ["new.txt"])
    }

    @Test("new quoted-printable content keeps its last line break")
    func quotedPrintableContent() throws {
        var entity = MIMEEntity(header: MessageHeader(parsing: Array("Content-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n".utf8)), body: [])
        entity.setContent(Array("hello\r\n".utf8))
        var message = try MailMessage.parse(Array("Subject: s\r\n\r\nx".utf8))
        message.root = entity
        let reparsed = try MailMessage.parse(try message.serialized())
        #expect(try reparsed.root.decodedContent().starts(with: Array("hello\r\n".utf8)))
    }

    @Test("half-width katakana is not ISO-2022-JP: the header falls back to UTF-8")
    func halfWidthKatakana() throws {
        var message = try MailMessage.parse(Array("Subject: s\r\n\r\nx".utf8))
        message.setHeader("Subject", "ｱﾝｹｰﾄ", encoding: .iso2022JP)
        #expect(message.header["Subject"]?.valueString.contains("UTF-8") == true)
        #expect(try MailMessage.parse(try message.serialized()).subject == "ｱﾝｹｰﾄ")
    }

    @Test("many distinct warnings are capped per code")
    func warningCap() throws {
        var text = head
        for index in 0..<2_000 {
            text += "--b\r\nX-Long-\(index): " + String(repeating: "z", count: 1_000) + "\r\n\r\nx\r\n"
        }
        text += "--b--\r\n"
        let message = try MailMessage.parse(Array(text.utf8))
        #expect(message.parseWarnings.filter { $0.code == .headerLineTooLong }.count <= Warnings.detailsPerCode + 1)
    }

    @Test("signed content cannot be removed or replaced")
    func signedParts() throws {
        var message = try MailMessage.parse(Corpus.bytes("p36"))
        #expect(throws: RewriteError.self) { try message.removePart(path: "1.2") }
        #expect(throws: RewriteError.self) { try message.replacePart(path: "1.1", with: .text("x")) }
        #expect(throws: RewriteError.self) { try message.addPart(.text("x"), toMultipartAt: "1") }
    }

    @Test("obsolete `Name : value` header lines are header lines")
    func spaceBeforeColon() throws {
        let message = try MailMessage.parse(Array("Subject : spaced\r\nContent-Type : text/html\r\n\r\n<p>x</p>\r\n".utf8))
        #expect(message.subject == "spaced")
        #expect(message.root.contentType.mimeType == "text/html")
    }
}

import NIOCore
import Outbound
import Testing

@Suite("SMTP reply parser")
struct SMTPResponseParserTests {
    /// Parses every reply in `text`, fed in pieces of `step` bytes.
    static func parseAll(_ text: String, step: Int = .max, parser: SMTPResponseParser = SMTPResponseParser()) throws -> [SMTPResponse] {
        var parser = parser
        var buffer = ByteBuffer()
        var replies: [SMTPResponse] = []
        let bytes = Array(text.utf8)
        var offset = 0
        repeat {
            let end = min(bytes.count, offset + max(1, step == .max ? bytes.count : step))
            buffer.writeBytes(bytes[offset..<end])
            offset = end
            while let reply = try parser.parse(&buffer) { replies.append(reply) }
        } while offset < bytes.count
        return replies
    }

    @Test("single line with an enhanced code")
    func singleLine() throws {
        let replies = try Self.parseAll("550 5.1.1 <x@example.org>: Recipient address rejected\r\n")
        #expect(replies == [SMTPResponse(code: 550, enhancedCode: EnhancedStatusCode("5.1.1"), lines: ["<x@example.org>: Recipient address rejected"])])
        #expect(replies.first?.isPermanentFailure == true)
        #expect(replies.first?.description == "550 5.1.1 <x@example.org>: Recipient address rejected")
    }

    @Test("multi-line EHLO reply, split at every byte", arguments: [1, 2, 3, 7, 1000])
    func multiLine(step: Int) throws {
        let text = "250-rig.test\r\n250-PIPELINING\r\n250-SIZE 52428800\r\n250 8BITMIME\r\n"
        let replies = try Self.parseAll(text, step: step)
        #expect(replies == [SMTPResponse(code: 250, lines: ["rig.test", "PIPELINING", "SIZE 52428800", "8BITMIME"])])
    }

    @Test("several replies in one read (pipelining), bare LF accepted")
    func pipelined() throws {
        let replies = try Self.parseAll("250 2.1.0 Ok\r\n554 5.7.1 denied\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n")
        #expect(replies.map(\.code) == [250, 554, 250, 354])
        #expect(replies[1].enhancedCode?.description == "5.7.1")
        #expect(replies[3].enhancedCode == nil)
        #expect(replies[3].text == "End data with <CR><LF>.<CR><LF>")
    }

    @Test("enhanced code on every line is stripped from each; another code stays")
    func enhancedOnEveryLine() throws {
        let reply = try #require(try Self.parseAll("451-4.3.0 first\r\n451-4.3.0 second\r\n451 4.7.1 third\r\n").first)
        #expect(reply.enhancedCode?.description == "4.3.0")
        #expect(reply.lines == ["first", "second", "4.7.1 third"])
    }

    @Test("enhanced code of another class is not one")
    func enhancedClassMismatch() throws {
        let reply = try #require(try Self.parseAll("550 2.0.0 odd\r\n").first)
        #expect(reply.enhancedCode == nil)
        #expect(reply.lines == ["2.0.0 odd"])
    }

    @Test("a bare code, and a code with an empty text")
    func bareCode() throws {
        let replies = try Self.parseAll("250\r\n354 \r\n")
        #expect(replies == [SMTPResponse(code: 250, lines: [""]), SMTPResponse(code: 354, lines: [""])])
    }

    @Test("a partial line waits for more bytes")
    func partial() throws {
        var parser = SMTPResponseParser()
        var buffer = ByteBuffer(string: "250-first\r\n250 sec")
        #expect(try parser.parse(&buffer) == nil)
        buffer.writeString("ond\r\n")
        #expect(try parser.parse(&buffer)?.lines == ["first", "second"])
        #expect(buffer.readableBytes == 0)
    }

    @Test("garbage is a typed error", arguments: [
        ("HTTP/1.1 400 Bad Request\r\n", SMTPResponseError.Reason.malformedLine),
        ("25\r\n", .malformedLine),
        ("2x0 hi\r\n", .malformedLine),
        ("250_hi\r\n", .malformedLine),
        ("650 hi\r\n", .malformedLine),
        ("\r\n", .malformedLine),
        ("250-one\r\n251 two\r\n", .inconsistentCodes),
    ])
    func garbage(text: String, reason: SMTPResponseError.Reason) {
        #expect(throws: SMTPResponseError.self) { try Self.parseAll(text) }
        do {
            _ = try Self.parseAll(text)
        } catch let error as SMTPResponseError {
            #expect(error.reason == reason)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test("limits: a long line, too many lines, a line that never ends")
    func limits() {
        let parser = SMTPResponseParser(maximumLineLength: 100, maximumLines: 3)
        #expect(throws: SMTPResponseError.self) { try Self.parseAll("250 " + String(repeating: "x", count: 200) + "\r\n", parser: parser) }
        #expect(throws: SMTPResponseError.self) { try Self.parseAll("250-a\r\n250-b\r\n250-c\r\n250 d\r\n", parser: parser) }
        #expect(throws: SMTPResponseError.self) { try Self.parseAll("250 " + String(repeating: "y", count: 300), parser: parser) }
    }

    @Test("enhanced status codes parse only in their exact form")
    func enhancedCodes() {
        #expect(EnhancedStatusCode("5.1.1")?.description == "5.1.1")
        #expect(EnhancedStatusCode("4.999.999") != nil)
        #expect(EnhancedStatusCode("3.1.1") == nil)
        #expect(EnhancedStatusCode("5.1") == nil)
        #expect(EnhancedStatusCode("5.1.1.1") == nil)
        #expect(EnhancedStatusCode("5.1000.1") == nil)
        #expect(EnhancedStatusCode("5.a.1") == nil)
        #expect(EnhancedStatusCode("55.1.1") == nil)
    }

    @Test("control characters in reply text are replaced: a bare CR cannot start a new line or field")
    func controlCharacters() throws {
        let replies = try Self.parseAll("550-5.1.1 first\rX-Injected: yes\r\n550 5.1.1 tab\there, nul\u{0}, esc\u{1b}[1m, del\u{7f}\r\n")
        let reply = try #require(replies.first)
        #expect(reply.lines == ["first?X-Injected: yes", "tab here, nul?, esc?[1m, del?"])
        #expect(!reply.description.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F })
        let error = SMTPClientError.rejected(reply, in: .recipient)
        #expect(!error.description.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F })
        // A response made up by hand is shown cleaned too.
        let made = SMTPResponse(code: 451, "a\rb\nc")
        #expect(made.description == "451 a?b?c" && made.text == "a?b?c")
    }
}

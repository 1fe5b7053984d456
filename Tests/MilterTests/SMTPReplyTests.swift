import Testing

@testable import Milter

@Suite("SMTP replies")
struct SMTPReplyTests {
    @Test("a single line with enhanced code")
    func singleLine() throws {
        let reply = try SMTPReply("550 5.7.1 rejected by example")
        #expect(reply.code == 550)
        #expect(reply.enhancedCode == "5.7.1")
        #expect(reply.lines == ["rejected by example"])
        #expect(reply.wireText == "550 5.7.1 rejected by example")
        #expect(!reply.isTemporary)
    }

    @Test("multi-line replies use '-' on every line but the last and repeat the codes")
    func multiLine() throws {
        let reply = try SMTPReply(code: 451, enhancedCode: "4.7.1", lines: ["first", "second", "third"])
        #expect(reply.wireText == "451-4.7.1 first\r\n451-4.7.1 second\r\n451 4.7.1 third")
        #expect(reply.isTemporary)
        let parsed = try SMTPReply(parsing: reply.wireText)
        #expect(parsed == reply)
    }

    @Test("percent signs are doubled on the wire and undoubled when parsed")
    func percent() throws {
        let reply = try SMTPReply(code: 550, enhancedCode: "5.7.1", "100% spam, %s not allowed")
        #expect(reply.wireText == "550 5.7.1 100%% spam, %%s not allowed")
        #expect(try SMTPReply(parsing: reply.wireText).lines == ["100% spam, %s not allowed"])
    }

    @Test("text with newlines becomes several lines")
    func newlines() throws {
        let reply = try SMTPReply(code: 554, enhancedCode: "5.7.0", "one\ntwo\r\nthree")
        #expect(reply.lines == ["one", "two", "three"])
    }

    @Test("without an enhanced code the class default goes on the wire (Postfix < 3.12 needs one)")
    func noEnhancedCode() throws {
        let reply = try SMTPReply(code: 421, lines: ["closing"])
        #expect(reply.wireText == "421 4.0.0 closing")
        #expect(try SMTPReply(code: 550, lines: ["a", "b"]).wireText == "550-5.0.0 a\r\n550 5.0.0 b")
        #expect(try SMTPReply(parsing: "421 closing").enhancedCode == nil)
        #expect(SMTPReply.postfixRefusal(reply.wireText) == nil)
    }

    static let postfixRules: [(String, Bool)] = [
        ("550 5.7.1 rejected", true),
        ("451-4.7.1 one\r\n451 4.7.1 two", true),
        ("550 rejected", false),
        ("550 4.7.1 class mismatch", false),
        ("250 2.0.0 ok", false),
        ("550-5.7.1 last line with dash", false),
        ("550 5.7.1 a\r\n550 5.7.1 b", false),
        ("55", false),
    ]

    @Test("Postfix's rule for SMFIR_REPLYCODE text", arguments: postfixRules)
    func postfixRule(_ text: String, _ accepted: Bool) {
        #expect((SMTPReply.postfixRefusal(text) == nil) == accepted, "\(text)")
    }

    static let invalid: [(String, @Sendable () throws -> SMTPReply)] = [
        ("2xx code", { try SMTPReply(code: 250, lines: ["ok"]) }),
        ("600 code", { try SMTPReply(code: 600, lines: ["x"]) }),
        ("class mismatch", { try SMTPReply(code: 550, enhancedCode: "4.7.1", lines: ["x"]) }),
        ("malformed enhanced", { try SMTPReply(code: 550, enhancedCode: "5.7", lines: ["x"]) }),
        ("enhanced too long", { try SMTPReply(code: 550, enhancedCode: "5.1000.1", lines: ["x"]) }),
        ("CR in text", { try SMTPReply(code: 550, lines: ["a\rb"]) }),
        ("NUL in text", { try SMTPReply(code: 550, lines: ["a\u{0}b"]) }),
        ("control character", { try SMTPReply(code: 550, lines: ["a\u{1b}b"]) }),
        ("no lines", { try SMTPReply(code: 550, lines: []) }),
        ("33 lines", { try SMTPReply(code: 550, lines: Array(repeating: "x", count: 33)) }),
        ("981-byte line", { try SMTPReply(code: 550, lines: [String(repeating: "x", count: 981)]) }),
        ("parse: mixed codes", { try SMTPReply(parsing: "550-5.7.1 a\r\n551 5.7.1 b") }),
        ("parse: last line with dash", { try SMTPReply(parsing: "550-5.7.1 a") }),
        ("parse: continuation with space", { try SMTPReply(parsing: "550 5.7.1 a\r\n550 5.7.1 b") }),
        ("parse: no code", { try SMTPReply(parsing: "rejected") }),
    ]

    @Test("invalid replies are refused as Postfix 3.12 refuses them", arguments: invalid)
    func refused(_ name: String, _ make: @Sendable () throws -> SMTPReply) {
        #expect(throws: SMTPReplyError.self, "\(name)") { try make() }
    }

    @Test("limits are inclusive: 32 lines of 980 bytes pass")
    func limits() throws {
        let line = String(repeating: "y", count: 980)
        let reply = try SMTPReply(code: 550, enhancedCode: "5.7.1", lines: Array(repeating: line, count: 32))
        #expect(reply.lines.count == 32)
    }

    @Test("verdicts map to the right responses")
    func verdictResponses() throws {
        #expect(MilterVerdict.continue.response == .continue)
        #expect(MilterVerdict.skip.response == .continue)
        #expect(MilterVerdict.shutdown.response == .shutdown)
        let reply = try SMTPReply("451 4.3.0 try later")
        #expect(MilterVerdict.reply(reply).response == .replyCode("451 4.3.0 try later"))
    }
}

import NIOConcurrencyHelpers
import NIOCore
import TestSupport
import Testing

@testable import Milter

/// The conformance matrix of docs/milter-protocol.md, each case asserted against the exact byte
/// stream the filter must send (the encoder itself is pinned by hand-written hex in
/// MilterCodecTests).
@Suite("Conformance: byte-exact reply streams")
struct ConformanceTests {
    @Test("a full Postfix session: one reply per command, none to D, A, Q")
    func fullSession() async throws {
        let run = await runSession(commands: postfixConnect + postfixMessage() + [.abort] + postfixMessage() + [.abort, .quit])
        let expected: [MilterResponse] = [defaultReply, .continue, .continue] + continueReplies() + continueReplies()
        #expect(hexString(run.output) == hexString(encoded(expected)))
        #expect(run.isCleanEnd)
        #expect(run.log.events.filter { $0 == "abort" }.isEmpty, "ABORT after EOM is not a message abort")
        #expect(run.log.events.last == "close")
    }

    @Test("no-reply events get no reply when negotiated; faked when the MTA lacks NR")
    func noReply() async throws {
        let capabilities = MilterCapabilities(noReplyEvents: [.header, .body])
        let run = await runSession(commands: postfixConnect + postfixMessage() + [.quit]) {
            ScriptedHandler(capabilities: capabilities, log: $0)
        }
        let reply = try NegotiatedOptions.negotiate(offer: .postfix, capabilities: capabilities).reply
        #expect(reply.protocolOptions.isSuperset(of: [.noReplyHeader, .noReplyBody]))
        // MAIL, RCPT, DATA, EOH, EOM answered; the two headers and the body chunk not.
        let expected: [MilterResponse] = [.optionNegotiation(reply), .continue, .continue, .continue, .continue, .continue, .continue, .continue]
        #expect(hexString(run.output) == hexString(encoded(expected)))
        #expect(run.log.events.filter { $0 == "header" }.count == 2, "the handler still sees no-reply events")

        // Postfix with milter_protocol = 4 offers no NR_* bits (0x37F): the session answers every header itself.
        let v4 = OptionNegotiation(version: 4, actions: .version2, protocolOptions: MilterProtocolOptions(rawValue: 0x37F))
        let old = await runSession(commands: [.optionNegotiation(v4)] + postfixConnect.dropFirst() + postfixMessage() + [.quit]) {
            ScriptedHandler(capabilities: capabilities, log: $0)
        }
        let oldReply = try NegotiatedOptions.negotiate(offer: v4, capabilities: capabilities).reply
        #expect(hexString(old.output) == hexString(encoded([.optionNegotiation(oldReply), .continue, .continue] + continueReplies())))
    }

    @Test("a verdict under NR cannot be sent: dropped with a warning, nothing written")
    func droppedVerdict() async throws {
        let capabilities = MilterCapabilities(noReplyEvents: [.header])
        let run = await runSession(commands: postfixConnect + postfixMessage() + [.quit]) {
            ScriptedHandler(capabilities: capabilities, verdicts: ["header": .reject], log: $0)
        }
        let responses = try run.responses
        #expect(!responses.contains(.reject))
        #expect(!run.logs.records(containing: "verdict dropped").isEmpty)
    }

    @Test("skip in the body: SMFIR_SKIP when negotiated, answered internally otherwise")
    func skip() async throws {
        let body = [UInt8](repeating: 0x61, count: 65_535 * 2 + 10)
        let run = await runSession(commands: postfixConnect + postfixMessage(body: body) + [.quit]) {
            ScriptedHandler(verdicts: ["body": .skip], log: $0)
        }
        // The MTA still sent all three chunks (it may have sent them before reading 's').
        // connect, helo, mail, rcpt, data, 2 headers, eoh; skip; 2 more chunks answered by the session; eom.
        let expected: [MilterResponse] = [defaultReply] + Array(repeating: .continue, count: 8) + [.skip, .continue, .continue, .continue]
        #expect(hexString(run.output) == hexString(encoded(expected)))
        #expect(run.log.events.filter { $0 == "body" }.count == 1, "no body callbacks after skip")

        let noSkipOffer = OptionNegotiation(version: 6, actions: .all, protocolOptions: MilterProtocolOptions.all.subtracting(.skip))
        let old = await runSession(commands: [.optionNegotiation(noSkipOffer)] + postfixConnect.dropFirst() + postfixMessage(body: body) + [.quit]) {
            ScriptedHandler(verdicts: ["body": .skip], log: $0)
        }
        let reply = try NegotiatedOptions.negotiate(offer: noSkipOffer, capabilities: MilterCapabilities()).reply
        #expect(hexString(old.output) == hexString(encoded([.optionNegotiation(reply), .continue, .continue] + continueReplies(bodyChunks: 3))))
        #expect(old.log.events.filter { $0 == "body" }.count == 1)
    }

    @Test("skip in headers is answered internally (portable between Postfix and Sendmail)")
    func skipHeaders() async throws {
        let run = await runSession(commands: postfixConnect + postfixMessage(headers: [("A", "1"), ("B", "2"), ("C", "3")]) + [.quit]) {
            ScriptedHandler(verdicts: ["header": .skip], log: $0)
        }
        #expect(hexString(run.output) == hexString(encoded([defaultReply, .continue, .continue] + continueReplies(headers: 3))))
        #expect(run.log.events.filter { $0 == "header" }.count == 1)
    }

    @Test("empty and odd-stage macro packets are stored and never answered")
    func oddMacros() async throws {
        let commands: [MilterCommand] = postfixConnect + [
            .macro(stage: .header, macros: []),
            .macro(stage: MilterCommandCode(rawValue: UInt8(ascii: "U")), macros: [MilterMacro(name: "{u}", value: "1")]),
            .macro(stage: MilterCommandCode(rawValue: UInt8(ascii: "Z")), macros: []),
            .macro(stage: .body, macros: [MilterMacro(name: "odd", value: "")]),
            .macro(stage: .mail, macros: [MilterMacro(name: "{auth_authen}", value: "alice")]),
            .mail(sender: "<a@example.com>", parameters: []),
            .quit,
        ]
        let run = await runSession(commands: commands)
        #expect(hexString(run.output) == hexString(encoded([defaultReply, .continue, .continue, .continue])))
        let macros = try #require(run.log.lastMacros.withLockedValue { $0 })
        #expect(macros["auth_authen"] == "alice")
        #expect(macros["{u}"] == "1")
        #expect(macros["j"] == "mx.test" && macros["{j}"] == "mx.test")
        // A macro list with a name but no value ("odd" number of strings) is tolerated.
        var raw = ByteBuffer(bytes: [UInt8(ascii: "D"), UInt8(ascii: "R")] + Array("{x}", nul: true))
        let frame = MilterFrame(code: raw.readInteger(as: UInt8.self)!, payload: raw)
        #expect(try MilterCommand(frame: frame) == .macro(stage: .recipient, macros: [MilterMacro(name: "{x}", value: "")]))
    }

    static let abortPoints: [Int] = Array(1...(postfixConnect.count + postfixMessage().count))

    @Test("ABORT at any point, twice, is never answered and never breaks the session", arguments: abortPoints)
    func abortEverywhere(_ point: Int) async throws {
        let script = postfixConnect + postfixMessage()
        // The MTA aborts after `point` commands, twice; inside a message it then starts a new one.
        let mailIndex = postfixConnect.count + 2
        let rest = point < mailIndex ? Array(script.dropFirst(point)) : postfixMessage()
        let commands = Array(script.prefix(point)) + [.abort, .abort] + rest + [.abort, .quit]
        let run = await runSession(commands: commands)
        #expect(run.isCleanEnd, "outcome \(run.outcome)")
        let responses = try run.responses
        #expect(Array(responses.suffix(continueReplies().count)) == continueReplies())
        #expect(!responses.contains(.reject) && !responses.contains(.tempfail))
        // An abort inside MAIL..EOM reaches the handler once; elsewhere it is ignored.
        let inMessage = point >= mailIndex && point < script.count
        #expect(run.log.events.filter { $0 == "abort" }.count == (inMessage ? 1 : 0), "point \(point)")
    }

    @Test("EOF at every stage ends the session cleanly; an open message is aborted, close called once")
    func eofEverywhere() async throws {
        let script = postfixConnect + postfixMessage()
        for cut in 1...script.count {
            let run = await runSession(commands: Array(script.prefix(cut)))
            #expect(run.isCleanEnd, "cut \(cut): \(run.outcome)")
            #expect(run.log.events.filter { $0 == "close" }.count == 1)
            let openMessage = cut > postfixConnect.count + 1 && cut < script.count
            #expect(run.log.events.filter { $0 == "abort" }.count == (openMessage ? 1 : 0), "cut \(cut)")
        }
    }

    @Test("a header of 100,000 bytes (over libmilter's 64 KiB) is accepted")
    func bigHeader() async throws {
        let value = String(repeating: "x", count: 100_000)
        let run = await runSession(commands: postfixConnect + postfixMessage(headers: [("X-Big", value)]) + [.quit])
        #expect(hexString(run.output) == hexString(encoded([defaultReply, .continue, .continue] + continueReplies(headers: 1))))
    }

    @Test("bodies of exactly 65,535 and 65,536 bytes")
    func bodyBoundaries() async throws {
        for size in [65_535, 65_536] {
            let run = await runSession(commands: postfixConnect + postfixMessage(body: [UInt8](repeating: 0x62, count: size)) + [.quit])
            let chunks = size == 65_535 ? 1 : 2
            #expect(hexString(run.output) == hexString(encoded([defaultReply, .continue, .continue] + continueReplies(bodyChunks: chunks))))
            #expect(run.log.bodyBytes.withLockedValue { $0 } == size)
        }
    }

    static let families: [(ConnectAddress, String?)] = [
        (.inet(address: "192.0.2.1", port: 25), "192.0.2.1"),
        (.inet6(address: "2001:db8::1", port: 25), "2001:db8::1"),
        (.inet6(address: "IPv6:2001:db8::2", port: 25), "2001:db8::2"),
        (.inet6(address: "ipv6:2001:db8::3", port: 25), "2001:db8::3"),
        (.unix(path: "/run/smtpd"), nil),
        (.unknown, nil),
    ]

    @Test("IPv4, IPv6 (with and without Sendmail's prefix), unix and unknown families", arguments: families)
    func connectFamilies(_ address: ConnectAddress, _ ip: String?) async throws {
        let run = await runSession(commands: [.optionNegotiation(.postfix), .connect(hostname: "h", address: address), .quit])
        #expect(hexString(run.output) == hexString(encoded([defaultReply, .continue])))
        let seen = try #require(run.log.lastConnect.withLockedValue { $0 })
        #expect(seen.address.ipAddress == ip)
        #expect(seen.address == address)
    }

    @Test("REPLBODY over 64 KiB leaves as contiguous 65,535-byte packets before the final reply")
    func bigBodyReplacement() async throws {
        let replacement = ByteBuffer(bytes: (0..<150_000).map { UInt8($0 % 251) })
        let run = await runSession(commands: postfixConnect + postfixMessage() + [.quit]) {
            ScriptedHandler(log: $0) { modifier in
                try modifier.addHeader("X-Before", value: "1")
                try modifier.replaceBody(replacement)
                try modifier.addHeader("X-After", value: "2")
                return .continue
            }
        }
        var rest = replacement
        let chunks = [rest.readSlice(length: 65_535)!, rest.readSlice(length: 65_535)!, rest]
        let expected: [MilterResponse] =
            [defaultReply, .continue, .continue] + continueReplies().dropLast()
            + [.addHeader(name: "X-Before", value: "1")] + chunks.map { .replaceBody($0) }
            + [.addHeader(name: "X-After", value: "2"), .continue]
        #expect(hexString(run.output) == hexString(encoded(expected)))
        // End-of-message modifications and the final reply leave in one write.
        #expect(run.transport.writes.withLockedValue { $0.last?.readableBytes } == encoded(Array(expected.suffix(6))).count)
    }

    @Test("a streamed REPLBODY leaves in 65,535-byte packets in order, batched, never read when the message is rejected")
    func streamedBodyReplacement() async throws {
        let bytes = (0..<700_000).map { UInt8($0 % 253) }
        let replacement = ByteBuffer(bytes: bytes)
        let run = await runSession(commands: postfixConnect + postfixMessage() + [.quit]) {
            ScriptedHandler(log: $0) { modifier in
                try modifier.addHeader("X-Before", value: "1")
                try modifier.replaceBody(streaming: ChunkedSource(bytes, chunk: 10_000))
                #expect(throws: MessageModificationError.self) { try modifier.replaceBody(Array("again".utf8)) }
                try modifier.addHeader("X-After", value: "2")
                return .continue
            }
        }
        var rest = replacement
        var chunks = [ByteBuffer]()
        while rest.readableBytes > 0 { chunks.append(rest.readSlice(length: min(65_535, rest.readableBytes))!) }
        let expected: [MilterResponse] =
            [defaultReply, .continue, .continue] + continueReplies().dropLast()
            + [.addHeader(name: "X-Before", value: "1")] + chunks.map { .replaceBody($0) }
            + [.addHeader(name: "X-After", value: "2"), .continue]
        #expect(hexString(run.output) == hexString(encoded(expected)))
        // The body went out in several writes (batches of about 256 KiB), not one.
        let largest = run.transport.writes.withLockedValue { $0.map(\.readableBytes).max() ?? 0 }
        #expect(largest < 400_000)

        let source = ChunkedSource(bytes, chunk: 10_000)
        let rejected = await runSession(commands: postfixConnect + postfixMessage() + [.quit]) {
            ScriptedHandler(log: $0) { modifier in
                try modifier.replaceBody(streaming: source)
                return .reject
            }
        }
        #expect(!hexString(rejected.output).isEmpty)
        #expect(source.reads == 0)
    }

    @Test("multi-line replies with % are sent byte-exact")
    func multiLineReply() async throws {
        let reply = try SMTPReply(code: 550, enhancedCode: "5.7.1", lines: ["first line", "100% sure", "last"])
        let run = await runSession(commands: postfixConnect + postfixMessage() + [.quit]) {
            ScriptedHandler(verdicts: ["mail": .reply(reply)], log: $0)
        }
        let text = "550-5.7.1 first line\r\n550-5.7.1 100%% sure\r\n550 5.7.1 last"
        let expectedReply: [UInt8] = [0, 0, 0, UInt8(text.utf8.count + 2), UInt8(ascii: "y")] + Array(text, nul: true)
        #expect(Array(run.output.suffix(expectedReply.count)) == expectedReply)
        #expect(run.isViolation, "after a rejected MAIL, an RCPT of the same message is out of order")
    }

    @Test("a recipient-level reject keeps the message; a message-level verdict ends it")
    func recipientVersusMessage() async throws {
        let commands = postfixConnect + [
            .mail(sender: "<a@example.com>", parameters: []),
            .recipient("<bad@example.org>", parameters: []),
            .recipient("<good@example.org>", parameters: []),
            .data,
            .endOfHeaders,
            .endOfMessage(finalChunk: nil),
            .quit,
        ]
        let run = await runSession(commands: commands) { log in
            ScriptedHandler(verdicts: ["rcpt": .reject], log: log)
        }
        #expect(run.isViolation == false)
        let responses = try run.responses
        #expect(responses == [defaultReply, .continue, .continue, .continue, .reject, .reject, .continue, .continue, .continue])
    }

    @Test("RCPT and DATA again after a refused DATA: Postfix does not reset the transaction")
    func afterRefusedData() async throws {
        let commands = postfixConnect + [
            .mail(sender: "<a@example.com>", parameters: []),
            .recipient("<b@example.org>", parameters: []),
            .data,
            .recipient("<c@example.org>", parameters: []),
            .data,
            .abort,
            .quit,
        ]
        // Our own tempfail at DATA, then the client tries again on the same transaction.
        let run = await runSession(commands: commands) { ScriptedHandler(verdicts: ["data": .tempfail], log: $0) }
        #expect(run.isCleanEnd, "\(run.outcome)")
        #expect(try run.responses == [defaultReply, .continue, .continue, .continue, .continue, .tempfail, .continue, .tempfail])
        // Another milter refused DATA after ours said continue.
        let other = await runSession(commands: commands)
        #expect(other.isCleanEnd, "\(other.outcome)")
    }

    @Test("discard at connect or HELO: the session answers continue and discards every message")
    func discardConnection() async throws {
        let mail = MilterCommand.mail(sender: "<a@example.com>", parameters: [])
        // After a discard at MAIL the MTA sends nothing more for that message, then ABORT.
        let run = await runSession(commands: postfixConnect + [mail, .abort, mail, .abort, .quit]) {
            ScriptedHandler(verdicts: ["connect": .discard], log: $0)
        }
        #expect(try run.responses == [defaultReply, .continue, .continue, .discard, .discard])
        #expect(!run.log.events.contains("mail"), "the handler does not see discarded messages")
        #expect(run.isCleanEnd)
    }

    @Test("a MAIL inside an open message that the handler does not want: abort, then the session's reply")
    func abortThenReply() async throws {
        let capabilities = MilterCapabilities(events: [.connect, .envelopeRecipient])
        let offer = OptionNegotiation(version: 2, actions: .version2, protocolOptions: .version2)
        let commands: [MilterCommand] = [
            .optionNegotiation(offer), .connect(hostname: "h", address: .unknown),
            .mail(sender: "<a@x>", parameters: []), .recipient("<b@y>", parameters: []),
            .mail(sender: "<c@x>", parameters: []), .quit,
        ]
        let run = await runSession(commands: commands) { ScriptedHandler(capabilities: capabilities, log: $0) }
        // The filter asked for NOMAIL; an MTA that sends MAIL anyway still gets its replies.
        #expect(try run.responses == [.optionNegotiation(try NegotiatedOptions.negotiate(offer: offer, capabilities: capabilities).reply), .continue, .continue, .continue, .continue])
        // The second MAIL aborts the first message; QUIT then aborts the second.
        #expect(run.log.events.filter { $0 != "close" } == ["connect", "rcpt", "abort", "abort"])
    }

    @Test("MAIL inside an open message aborts it first, as libmilter does")
    func mailInsideMessage() async throws {
        let commands = postfixConnect + [.mail(sender: "<a@x>", parameters: []), .recipient("<b@y>", parameters: []), .mail(sender: "<c@x>", parameters: []), .quit]
        let run = await runSession(commands: commands)
        // The second MAIL aborts the first message; QUIT then aborts the second.
        #expect(run.log.events.filter { $0 != "close" }.suffix(5) == ["mail", "rcpt", "abort", "mail", "abort"])
        #expect(run.isCleanEnd)
    }

    @Test("QUIT_NC closes the handler and a new CONNECT starts a new one")
    func quitNewConnection() async throws {
        let commands = postfixConnect + postfixMessage() + [.abort, .quitNewConnection] + postfixConnect.dropFirst() + postfixMessage() + [.quit]
        let run = await runSession(commands: commands)
        #expect(run.isCleanEnd)
        #expect(run.log.handlersCreated == 2)
        #expect(run.log.events.filter { $0 == "close" }.count == 2)
        #expect(hexString(run.output) == hexString(encoded([defaultReply, .continue, .continue] + continueReplies() + [.continue, .continue] + continueReplies())))
    }

    @Test("data carried by SMFIC_BODYEOB is delivered as a last body chunk")
    func endOfMessageWithData() async throws {
        var commands = postfixConnect + postfixMessage()
        commands[commands.count - 1] = .endOfMessage(finalChunk: ByteBuffer(string: "tail\r\n"))
        let run = await runSession(commands: commands + [.quit])
        #expect(run.log.bodyBytes.withLockedValue { $0 } == 6 + 6)
        #expect(hexString(run.output) == hexString(encoded([defaultReply, .continue, .continue] + continueReplies())))
    }

    @Test("modifications are dropped when the message is rejected")
    func modificationsDroppedOnReject() async throws {
        let run = await runSession(commands: postfixConnect + postfixMessage() + [.quit]) {
            ScriptedHandler(log: $0) { modifier in
                try modifier.addHeader("X-Gone", value: "1")
                return .reject
            }
        }
        #expect(try run.responses.last == .reject)
        #expect(!(try run.responses.contains(.addHeader(name: "X-Gone", value: "1"))))
    }

    @Test("quarantine precedes the final reply")
    func quarantine() async throws {
        let run = await runSession(commands: postfixConnect + postfixMessage() + [.quit]) {
            ScriptedHandler(log: $0) { modifier in
                try modifier.quarantine(reason: "suspicious")
                return .continue
            }
        }
        #expect(try Array(run.responses.suffix(2)) == [.quarantine(reason: "suspicious"), .continue])
    }

    @Test("a throwing handler gets the failure verdict; the session goes on")
    func handlerFailure() async throws {
        let run = await runSession(commands: postfixConnect + postfixMessage() + [.abort] + postfixMessage() + [.quit]) {
            ScriptedHandler(failAt: ["rcpt"], log: $0)
        }
        let responses = try run.responses
        #expect(responses.filter { $0 == .tempfail }.count == 2, "each recipient tempfailed")
        #expect(run.isCleanEnd, "the session survives handler failures")
        let accept = await runSession(commands: postfixConnect + postfixMessage() + [.quit], failureVerdict: .accept) {
            ScriptedHandler(failAt: ["header"], log: $0)
        }
        #expect(try accept.responses.contains(.accept))
    }

    @Test("a modification that was not negotiated fails the message with the failure verdict")
    func notNegotiated() async throws {
        let offer = OptionNegotiation(version: 6, actions: [.addHeaders], protocolOptions: .all)
        let run = await runSession(commands: [.optionNegotiation(offer)] + postfixConnect.dropFirst() + postfixMessage() + [.quit]) {
            ScriptedHandler(log: $0) { modifier in
                try modifier.replaceBody(Array("x".utf8))
                return .continue
            }
        }
        #expect(try run.responses.last == .tempfail)
    }

    static let outOfOrder: [(String, [MilterCommand])] = [
        ("command before OPTNEG", [.connect(hostname: "h", address: .unknown)]),
        ("second OPTNEG", [.optionNegotiation(.postfix), .optionNegotiation(.postfix)]),
        ("HELO before CONNECT", [.optionNegotiation(.postfix), .helo("x")]),
        ("second CONNECT", [.optionNegotiation(.postfix), .connect(hostname: "h", address: .unknown), .connect(hostname: "h", address: .unknown)]),
        ("RCPT before MAIL", postfixConnect + [.recipient("<b@y>", parameters: [])]),
        ("BODY before CONNECT", [.optionNegotiation(.postfix), .body(ByteBuffer(string: "x"))]),
        ("header after body", postfixConnect + [.mail(sender: "<a>", parameters: []), .recipient("<b>", parameters: []), .endOfHeaders, .body(ByteBuffer(string: "x")), .header(name: "A", value: ByteBuffer())]),
        ("DATA after EOH", postfixConnect + [.mail(sender: "<a>", parameters: []), .recipient("<b>", parameters: []), .endOfHeaders, .data]),
        ("EOM outside a message", postfixConnect + [.endOfMessage(finalChunk: nil)]),
        ("RCPT after EOM", postfixConnect + postfixMessage() + [.recipient("<b>", parameters: [])]),
    ]

    @Test("commands out of order end the connection with a protocol error", arguments: outOfOrder)
    func commandsOutOfOrder(_ name: String, _ commands: [MilterCommand]) async throws {
        let run = await runSession(commands: commands + [.quit])
        guard case .violation(let error) = run.outcome else {
            Issue.record("\(name): \(run.outcome)")
            return
        }
        #expect(error.code == .unexpectedCommand, "\(name): \(error)")
        #expect(!run.logs.records(containing: "closing milter connection").isEmpty)
        #expect(run.log.events.last == "close")
    }

    static let garbage: [(String, [UInt8], MilterProtocolError.Code)] = [
        ("length 0", [0, 0, 0, 0], .emptyFrame),
        ("length 2^31", [0x80, 0, 0, 0, 0x4F], .frameTooLarge),
        ("unknown command", [0, 0, 0, 1, 0x5A], .unknownCommand),
        ("HTTP request", Array("GET / HTTP/1.1\r\n\r\n".utf8), .frameTooLarge),
        ("truncated frame", [0, 0, 0, 13, 0x4F, 0, 0], .truncatedFrame),
        ("short OPTNEG", [0, 0, 0, 3, 0x4F, 0, 0], .malformedPayload),
    ]

    @Test("garbage ends only the session, with a typed reason", arguments: garbage)
    func garbageInput(_ name: String, _ bytes: [UInt8], _ code: MilterProtocolError.Code) async {
        let run = await runSession([bytes])
        guard case .violation(let error) = run.outcome else {
            Issue.record("\(name): \(run.outcome)")
            return
        }
        #expect(error.code == code, "\(name): \(error)")
        #expect(run.output.isEmpty)
    }

    @Test("input answered by nothing is acknowledged at once (TCP_QUICKACK)")
    func quickAckOnSilence() async throws {
        let pieces = [encoded(MilterCommand.optionNegotiation(.postfix)), encoded(MilterCommand.macro(stage: .connect, macros: [])), encoded(MilterCommand.connect(hostname: "h", address: .unknown))]
        let run = await runSession(pieces)
        #expect(run.transport.acknowledgements.withLockedValue { $0 } == 1)
    }
}

/// A replacement body handed out in chunks no larger than `chunk`, counting reads.
final class ChunkedSource: ReplacementBodySource, @unchecked Sendable {
    private let bytes: [UInt8]
    private let chunk: Int
    private var offset = 0
    private(set) var reads = 0

    init(_ bytes: [UInt8], chunk: Int) {
        self.bytes = bytes
        self.chunk = chunk
    }

    func nextChunk(maximumLength: Int) throws -> ByteBuffer? {
        reads += 1
        guard offset < bytes.count else { return nil }
        let end = min(bytes.count, offset + min(chunk, maximumLength))
        defer { offset = end }
        return ByteBuffer(bytes: bytes[offset..<end])
    }
}

import NIOCore
import NIOTestUtils
import Testing

@testable import Milter

@Suite("Wire codec")
struct MilterCodecTests {
    static let commands: [MilterCommand] = [
        .optionNegotiation(.postfix),
        .optionNegotiation(OptionNegotiation(version: 2, actions: [], protocolOptions: [])),
        .macro(stage: .connect, macros: [MilterMacro(name: "j", value: "mx.example.com"), MilterMacro(name: "{daemon_name}", value: "mx")]),
        .macro(stage: .header, macros: []),
        .macro(stage: MilterCommandCode(rawValue: UInt8(ascii: "U")), macros: []),
        .macro(stage: .body, macros: [MilterMacro(name: "i", value: "4AbCdE")]),
        .connect(hostname: "mx.example.net", address: .inet(address: "192.0.2.1", port: 25)),
        .connect(hostname: "[2001:db8::1]", address: .inet6(address: "2001:db8::1", port: 587)),
        .connect(hostname: "v6.example", address: .inet6(address: "IPv6:2001:db8::2", port: 465)),
        .connect(hostname: "localhost", address: .unix(path: "/var/run/smtp.sock")),
        .connect(hostname: "unknown", address: .unknown),
        .helo("client.example.net"),
        .mail(sender: "<a@example.com>", parameters: ["SIZE=1234", "BODY=8BITMIME"]),
        .mail(sender: "<>", parameters: []),
        .recipient("<b@example.org>", parameters: ["NOTIFY=NEVER"]),
        .data,
        .header(name: "Subject", value: ByteBuffer(string: "line one\n\tline two")),
        .header(name: "X-Empty", value: ByteBuffer()),
        .header(name: "X-SJIS", value: ByteBuffer(bytes: [0x82, 0xA0, 0x83, 0x65])),
        .endOfHeaders,
        .body(ByteBuffer(string: "Hello\r\nWorld\r\n")),
        .body(ByteBuffer(repeating: 0x41, count: 65_535)),
        .endOfMessage(finalChunk: nil),
        .endOfMessage(finalChunk: ByteBuffer(string: "tail\r\n")),
        .unknown("XYZZY plugh"),
        .abort,
        .quit,
        .quitNewConnection,
    ]

    static let responses: [MilterResponse] = [
        .optionNegotiation(OptionNegotiation(version: 6, actions: [.addHeaders], protocolOptions: [.skip])),
        .optionNegotiation(
            OptionNegotiation(
                version: 6,
                actions: [.addHeaders, .setSymbolList],
                protocolOptions: [.skip],
                macroRequests: [
                    MacroRequest(stage: .helo, names: ["j", "{my}"]),
                    MacroRequest(stage: .envelopeRecipient, names: ["k", "{other}"]),
                ]
            )
        ),
        .continue, .accept, .reject, .tempfail, .discard, .skip, .shutdown, .connectionFailure, .progress,
        .replyCode("550 5.7.1 rejected by example"),
        .replyCode("451-4.7.1 first\r\n451 4.7.1 100%% sure"),
        .quarantine(reason: "held for review"),
        .addHeader(name: "X-Sekisho", value: "yes"),
        .addHeader(name: "X-Folded", value: "a\n\tb"),
        .insertHeader(index: 0, name: "Authentication-Results", value: "mx; none"),
        .changeHeader(index: 1, name: "Subject", value: "[EXT] hello"),
        .changeHeader(index: 2, name: "Received", value: ""),
        .addRecipient("<c@example.org>"),
        .addRecipientWithParameters("<d@example.org>", parameters: "NOTIFY=SUCCESS,FAILURE"),
        .addRecipientWithParameters("<e@example.org>", parameters: nil),
        .deleteRecipient("<b@example.org>"),
        .changeSender("<bounce@example.com>", parameters: "RET=HDRS"),
        .changeSender("<>", parameters: nil),
        .replaceBody(ByteBuffer(string: "new body\r\n")),
        .replaceBody(ByteBuffer()),
        .setSymbolList(MacroRequest(stage: .endOfMessage, names: ["i", "{msg_id}"])),
    ]

    @Test("every command survives encode → decode", arguments: commands)
    func commandRoundTrip(_ command: MilterCommand) throws {
        let decoded = try frames(encoded(command)).map { try MilterCommand(frame: $0) }
        #expect(decoded == [command])
    }

    @Test("every response survives encode → decode", arguments: responses)
    func responseRoundTrip(_ response: MilterResponse) throws {
        let decoded = try frames(encoded(response)).map { try MilterResponse(frame: $0) }
        #expect(decoded == [response])
    }

    @Test("byte-exact encodings written out by hand")
    func literalEncodings() {
        #expect(hexString(encoded(.continue)) == "00 00 00 01 63")
        #expect(hexString(encoded(.accept)) == "00 00 00 01 61")
        #expect(hexString(encoded(MilterCommand.optionNegotiation(.postfix))) == "00 00 00 0d 4f 00 00 00 06 00 00 01 ff 00 1f ff ff")
        #expect(
            hexString(encoded(MilterCommand.connect(hostname: "h", address: .inet(address: "127.0.0.1", port: 25))))
                == "00 00 00 10 43 68 00 34 00 19 31 32 37 2e 30 2e 30 2e 31 00"
        )
        #expect(hexString(encoded(MilterCommand.connect(hostname: "h", address: .unknown))) == "00 00 00 04 43 68 00 55")
        #expect(hexString(encoded(MilterCommand.macro(stage: .header, macros: []))) == "00 00 00 02 44 4c")
        #expect(hexString(encoded(.addHeader(name: "X", value: "y"))) == "00 00 00 05 68 58 00 79 00")
        #expect(
            hexString(encoded(.changeHeader(index: 1, name: "Subject", value: "")))
                == "00 00 00 0e 6d 00 00 00 01 53 75 62 6a 65 63 74 00 00"
        )
        #expect(hexString(encoded(.replyCode("550 5.7.1 x"))) == "00 00 00 0d 79 35 35 30 20 35 2e 37 2e 31 20 78 00")
        // The negotiation reply with HELO and RCPT macro lists from docs/milter-protocol.md 1.6.
        let reply = MilterResponse.optionNegotiation(
            OptionNegotiation(
                version: 6,
                actions: [.addHeaders, .setSymbolList],
                protocolOptions: [],
                macroRequests: [MacroRequest(stage: .helo, names: ["j", "{my}"]), MacroRequest(stage: .envelopeRecipient, names: ["k", "{other}"])]
            )
        )
        #expect(
            hexString(encoded(reply))
                == "00 00 00 26 4f 00 00 00 06 00 00 01 01 00 00 00 00 00 00 00 01 6a 20 7b 6d 79 7d 00 00 00 00 03 6b 20 7b 6f 74 68 65 72 7d 00"
        )
        #expect(hexString(encoded(.addRecipientWithParameters("<a@b>", parameters: "X"))) == "00 00 00 09 32 3c 61 40 62 3e 00 58 00")
    }

    @Test("a stream decodes the same fed whole, byte by byte, and in random pieces")
    func splitFeeding() throws {
        let stream = encoded(Self.commands)
        let whole = try frames(stream)
        #expect(whole.count == Self.commands.count)

        var decoder = MilterFrameDecoder()
        var buffer = ByteBuffer()
        var byByte: [MilterFrame] = []
        let small = encoded(Self.commands.filter { if case .body(let chunk) = $0 { return chunk.readableBytes < 1000 } else { return true } })
        for byte in small {
            buffer.writeInteger(byte)
            while let frame = try decoder.decode(buffer: &buffer) { byByte.append(frame) }
        }
        #expect(byByte == (try frames(small)))

        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20 {
            var pieces: [MilterFrame] = []
            var rest = stream[...]
            buffer.clear()
            while !rest.isEmpty {
                let size = Int.random(in: 1...max(1, min(rest.count, 9000)), using: &generator)
                buffer.writeBytes(rest.prefix(size))
                rest = rest.dropFirst(size)
                while let frame = try decoder.decode(buffer: &buffer) { pieces.append(frame) }
            }
            #expect(pieces == whole)
        }
    }

    @Test("NIO's ByteToMessageDecoderVerifier accepts the frame decoder")
    func decoderVerifier() throws {
        // The verifier feeds byte by byte through a channel; keep the 64 KiB body out of it.
        let small = Self.commands.filter { if case .body(let chunk) = $0 { return chunk.readableBytes < 1000 } else { return true } }
        let pairs = small.map { command -> (ByteBuffer, [MilterFrame]) in
            let bytes = encoded(command)
            return (ByteBuffer(bytes: bytes), try! frames(bytes))
        }
        try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: pairs) { MilterFrameDecoder() }
    }

    @Test("frame lengths 0 and 2^31 are refused before any payload is read")
    func hostileLengths() throws {
        var decoder = MilterFrameDecoder()
        var zero = ByteBuffer(bytes: [0, 0, 0, 0, 0x63])
        #expect(throws: MilterProtocolError.self) { try decoder.decode(buffer: &zero) }
        var huge = ByteBuffer(bytes: [0x80, 0, 0, 0])
        do {
            _ = try decoder.decode(buffer: &huge)
            Issue.record("2^31 accepted")
        } catch let error as MilterProtocolError {
            #expect(error.code == .frameTooLarge)
        }
        var limit = MilterFrameDecoder(maximumFrameLength: 10)
        var ten = ByteBuffer(bytes: [0, 0, 0, 10] + [UInt8](repeating: 0x42, count: 10))
        #expect(try limit.decode(buffer: &ten)?.payload.readableBytes == 9)
        var eleven = ByteBuffer(bytes: [0, 0, 0, 11])
        #expect(throws: MilterProtocolError.self) { try limit.decode(buffer: &eleven) }
    }

    @Test("a stream that ends inside a frame is a truncated frame")
    func truncated() throws {
        var decoder = MilterFrameDecoder()
        var buffer = ByteBuffer(bytes: [0, 0, 0, 5, 0x48, 0x61])
        #expect(try decoder.decode(buffer: &buffer) == nil)
        do {
            _ = try decoder.decodeLast(buffer: &buffer, seenEOF: true)
            Issue.record("truncated frame accepted")
        } catch let error as MilterProtocolError {
            #expect(error.code == .truncatedFrame)
        }
    }

    static let malformedCommands: [(String, MilterFrame, MilterProtocolError.Code)] = [
        ("unknown command byte", frame("Z", []), .unknownCommand),
        ("NUL command byte", MilterFrame(code: 0, payload: ByteBuffer()), .unknownCommand),
        ("short OPTNEG", frame("O", [0, 0, 0, 6, 0, 0]), .malformedPayload),
        ("macro without stage", frame("D", []), .malformedPayload),
        ("macro name without NUL", frame("D", Array("Cj", nul: false)), .malformedPayload),
        ("connect without NUL", frame("C", Array("host", nul: false)), .malformedPayload),
        ("connect without family", frame("C", Array("host", nul: true)), .malformedPayload),
        ("connect bad family", frame("C", Array("host", nul: true) + [UInt8(ascii: "X"), 0, 25] + Array("1.2.3.4", nul: true)), .malformedPayload),
        ("connect without port", frame("C", Array("host", nul: true) + [UInt8(ascii: "4")]), .malformedPayload),
        ("connect trailing bytes", frame("C", Array("host", nul: true) + [UInt8(ascii: "U"), 1]), .malformedPayload),
        ("helo trailing bytes", frame("H", Array("a", nul: true) + [0x41]), .malformedPayload),
        ("mail without sender", frame("M", []), .malformedPayload),
        ("rcpt unterminated", frame("R", Array("<b@x>", nul: false)), .malformedPayload),
        ("header without value", frame("L", Array("Subject", nul: true)), .malformedPayload),
        ("data with payload", frame("T", [1]), .malformedPayload),
        ("abort with payload", frame("A", [1]), .malformedPayload),
        ("unknown without NUL", frame("U", Array("HELP", nul: false)), .malformedPayload),
    ]

    @Test("malformed commands are typed errors", arguments: malformedCommands)
    func malformedCommand(_ name: String, _ frame: MilterFrame, _ code: MilterProtocolError.Code) {
        do {
            let command = try MilterCommand(frame: frame)
            Issue.record("\(name) decoded as \(command)")
        } catch let error as MilterProtocolError {
            #expect(error.code == code, "\(name): \(error)")
        } catch {
            Issue.record("\(name): unexpected \(error)")
        }
    }

    static let malformedResponses: [(String, MilterFrame)] = [
        ("unknown response byte", frame("Z", [])),
        ("continue with extra byte", frame("c", [0])),
        ("reply code unterminated", frame("y", Array("550 x", nul: false))),
        ("reply code trailing", frame("y", Array("550 x", nul: true) + [0x41])),
        ("add header without value", frame("h", Array("X", nul: true))),
        ("change header short index", frame("m", [0, 1])),
        ("chgfrom three strings", frame("e", Array("a", nul: true) + Array("b", nul: true) + Array("c", nul: true))),
        ("negotiation symlist truncated", frame("O", [0, 0, 0, 6, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0])),
    ]

    @Test("malformed responses are typed errors", arguments: malformedResponses)
    func malformedResponse(_ name: String, _ frame: MilterFrame) {
        #expect(throws: MilterProtocolError.self, "\(name)") { try MilterResponse(frame: frame) }
    }

    @Test("codes print their spec letters")
    func codeDescriptions() {
        #expect(MilterCommandCode.connect.description == "'C'")
        #expect(MilterCommandCode(rawValue: 7).description == "0x07")
        #expect(MilterActions.all.description.contains("SETSYMLIST"))
        #expect(MilterProtocolOptions([.noData, .skip]).description == "NODATA|SKIP")
    }
}

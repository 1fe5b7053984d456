import NIOCore
import Testing

@testable import Milter

@Suite("Message modifier")
struct MessageModifierTests {
    func modifier(actions: MilterActions = .all, options: MilterProtocolOptions = .all) throws -> MessageModifier {
        let negotiated = try NegotiatedOptions.negotiate(
            offer: OptionNegotiation(version: 6, actions: actions, protocolOptions: options),
            capabilities: MilterCapabilities()
        )
        return MessageModifier(negotiated: negotiated) {}
    }

    @Test("every modification is recorded in order")
    func recordsInOrder() throws {
        let modifier = try modifier()
        try modifier.addHeader("X-A", value: "1")
        try modifier.insertHeader("X-B", value: "2", at: 0)
        try modifier.changeHeader("Subject", occurrence: 2, value: "new")
        try modifier.deleteHeader("Received", occurrence: 3)
        try modifier.changeSender("<bounce@example.com>", parameters: "RET=HDRS")
        try modifier.addRecipient("<c@example.org>")
        try modifier.addRecipient("<d@example.org>", parameters: "NOTIFY=NEVER")
        try modifier.deleteRecipient("<b@example.org>")
        try modifier.quarantine(reason: "check")
        #expect(modifier.finish() == [
            .addHeader(name: "X-A", value: "1"),
            .insertHeader(index: 0, name: "X-B", value: "2"),
            .changeHeader(index: 2, name: "Subject", value: "new"),
            .changeHeader(index: 3, name: "Received", value: ""),
            .changeSender("<bounce@example.com>", parameters: "RET=HDRS"),
            .addRecipient("<c@example.org>"),
            .addRecipientWithParameters("<d@example.org>", parameters: "NOTIFY=NEVER"),
            .deleteRecipient("<b@example.org>"),
            .quarantine(reason: "check"),
        ])
    }

    @Test("folded values travel with bare LF; continuation lines must be indented")
    func folding() throws {
        let modifier = try modifier()
        try modifier.addHeader("X-Folded", value: "first\r\n\tsecond\n third")
        #expect(modifier.finish() == [.addHeader(name: "X-Folded", value: "first\n\tsecond\n third")])
        let other = try self.modifier()
        #expect(throws: MessageModificationError.self) { try other.addHeader("X-Bad", value: "a\nb") }
        #expect(throws: MessageModificationError.self) { try other.addHeader("X-Bad", value: "a\rb") }
        #expect(throws: MessageModificationError.self) { try other.addHeader("X-Bad", value: "a\u{0}b") }
    }

    static let badNames = ["", "Bad Name", "Colon:", "Tab\t", "Ünicode"]

    @Test("invalid header names are refused", arguments: badNames)
    func badName(_ name: String) throws {
        let modifier = try modifier()
        #expect(throws: MessageModificationError.self) { try modifier.addHeader(name, value: "x") }
    }

    @Test("occurrences start at 1, positions at 0")
    func indexes() throws {
        let modifier = try modifier()
        #expect(throws: MessageModificationError.self) { try modifier.changeHeader("Subject", occurrence: 0, value: "x") }
        #expect(throws: MessageModificationError.self) { try modifier.insertHeader("X", value: "x", at: -1) }
        #expect(throws: MessageModificationError.self) { try modifier.changeHeader("Subject", value: "") }
    }

    @Test("actions that were not negotiated are refused")
    func notNegotiated() throws {
        let modifier = try modifier(actions: [.addHeaders])
        try modifier.addHeader("X", value: "y")
        #expect(throws: MessageModificationError.self) { try modifier.changeHeader("X", value: "z") }
        #expect(throws: MessageModificationError.self) { try modifier.replaceBody(Array("b".utf8)) }
        #expect(throws: MessageModificationError.self) { try modifier.changeSender("<a@b>") }
        #expect(throws: MessageModificationError.self) { try modifier.addRecipient("<a@b>", parameters: "X") }
        #expect(throws: MessageModificationError.self) { try modifier.quarantine(reason: "r") }
    }

    @Test("packets larger than the negotiated size are refused")
    func tooLarge() throws {
        let modifier = try modifier()
        #expect(throws: MessageModificationError.self) {
            try modifier.addHeader("X-Huge", value: String(repeating: "x", count: 70_000))
        }
    }

    @Test("body replacement: later calls append, chunks are contiguous at the first call's place")
    func bodyChunks() throws {
        let modifier = try modifier()
        try modifier.replaceBody(ByteBuffer(repeating: 0x61, count: 70_000))
        try modifier.addHeader("X", value: "y")
        try modifier.replaceBody(ByteBuffer(repeating: 0x62, count: 10))
        let result = modifier.finish()
        #expect(result.count == 3)
        guard case .replaceBody(let first) = result[0], case .replaceBody(let second) = result[1] else {
            Issue.record("body chunks not first: \(result)")
            return
        }
        #expect(first.readableBytes == 65_535)
        #expect(second.readableBytes == 70_010 - 65_535)
        #expect(result[2] == .addHeader(name: "X", value: "y"))
    }

    @Test("an empty replacement body is refused (Postfix rejects an empty SMFIR_REPLBODY); empty appends are no-ops")
    func emptyBody() throws {
        let modifier = try modifier()
        #expect(throws: MessageModificationError.self) { try modifier.replaceBody(ByteBuffer()) }
        try modifier.replaceBody(ByteBuffer(string: "\r\n"))
        try modifier.replaceBody(ByteBuffer())
        #expect(modifier.finish() == [.replaceBody(ByteBuffer(string: "\r\n"))])
    }

    @Test("after end of message the modifier refuses changes")
    func finished() async throws {
        let modifier = try modifier()
        _ = modifier.finish()
        #expect(throws: MessageModificationError.self) { try modifier.addHeader("X", value: "y") }
        await #expect(throws: MessageModificationError.self) { try await modifier.progress() }
    }
}

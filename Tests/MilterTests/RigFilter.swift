import Milter
import NIOCore

/// The filter the end-to-end tests run through Postfix and Sendmail: decisions at every stage, chosen by the client
/// address, HELO name, sender, recipient, a header or the body, and end-of-message actions chosen
/// by an `X-Test-Action` header.
struct RigFilter: MilterHandler {
    private var action = ""
    private var sender = ""

    static let multiLine = try! SMTPReply(code: 550, enhancedCode: "5.7.1", lines: ["first line of three", "100% sure, second", "third and last"])

    func connect(_ client: ConnectInfo, macros: MilterMacros) async throws -> MilterVerdict {
        // 192.0.2.x through Postfix's XCLIENT; 127.0.0.10/11 a client bound to that address.
        switch client.address.ipAddress {
        case "192.0.2.10", "127.0.0.10": .reject
        case "192.0.2.11", "127.0.0.11": .tempfail
        default: .continue
        }
    }

    func helo(_ name: String, macros: MilterMacros) async throws -> MilterVerdict {
        switch name {
        case "reject.helo.test": .reject
        case "tempfail.helo.test": .tempfail
        default: .continue
        }
    }

    mutating func envelopeFrom(_ sender: EnvelopeAddress, macros: MilterMacros) async throws -> MilterVerdict {
        self.sender = sender.address
        action = ""
        switch sender.address.split(separator: "@").first.map(String.init) ?? "" {
        case "reject-mail": return .reject
        case "tempfail-mail": return .tempfail
        case "multiline": return .reply(Self.multiLine)
        case "reply-mail": return .reply(try SMTPReply("451 4.7.1 try again, said the milter"))
        default: return .continue
        }
    }

    func envelopeRecipient(_ recipient: EnvelopeAddress, macros: MilterMacros) async throws -> MilterVerdict {
        switch recipient.address.split(separator: "@").first.map(String.init) ?? "" {
        case "reject-rcpt": .reject
        case "tempfail-rcpt": .tempfail
        default: .continue
        }
    }

    func data(macros: MilterMacros) async throws -> MilterVerdict {
        sender.hasPrefix("reject-data@") ? .reject : .continue
    }

    mutating func header(_ field: HeaderField, macros: MilterMacros) async throws -> MilterVerdict {
        switch (field.name.lowercased(), field.value) {
        case ("x-test-action", let value):
            action = value
            return .continue
        case ("x-test-reject", "header"): return .reject
        case ("x-test-tempfail", "header"): return .tempfail
        default: return .continue
        }
    }

    func endOfHeaders(macros: MilterMacros) async throws -> MilterVerdict {
        action == "reject-eoh" ? .reject : .continue
    }

    func bodyChunk(_ chunk: ByteBuffer, macros: MilterMacros) async throws -> MilterVerdict {
        String(decoding: chunk.readableBytesView, as: UTF8.self).contains("REJECT-IN-BODY") ? .reject : .continue
    }

    func endOfMessage(_ modifier: MessageModifier, macros: MilterMacros) async throws -> MilterVerdict {
        switch action {
        case "reject": return .reject
        case "tempfail": return .tempfail
        case "discard": return .discard
        case "reply": return .reply(try SMTPReply(code: 554, enhancedCode: "5.7.0", lines: ["rejected at end of message", "by the rig filter"]))
        case "headers":
            try modifier.addHeader("X-Added", value: "added at end")
            try modifier.insertHeader("X-Inserted", value: "at the top", at: 0)
            try modifier.changeHeader("Subject", occurrence: 1, value: "changed subject")
            try modifier.deleteHeader("X-Delete-Me", occurrence: 1)
            try modifier.changeHeader("X-Multi", occurrence: 2, value: "second changed")
            try modifier.addHeader("X-Folded", value: "line one\n\tline two")
        case "big-body":
            try modifier.replaceBody(Self.bigBody)
        case "add-rcpt":
            try modifier.addRecipient("<added@example.org>")
            try modifier.addRecipient("<added-par@example.org>", parameters: "NOTIFY=NEVER")
        case "del-rcpt":
            try modifier.deleteRecipient("<removed@example.org>")
        case "chg-from":
            try modifier.changeSender("<changed@example.com>")
        case "quarantine":
            try modifier.quarantine(reason: "held by the rig filter")
        default:
            break
        }
        try modifier.addHeader("X-Sekisho-Test", value: "ok \(macros.queueID ?? "no-queue-id")")
        return .continue
    }

    /// 100 KiB of numbered lines (> 64 KiB, so more than one SMFIR_REPLBODY packet).
    static let bigBody: ByteBuffer = {
        var text = ""
        var line = 0
        while text.utf8.count < 100 * 1024 {
            text += "replacement line \(line) ................................................\r\n"
            line += 1
        }
        return ByteBuffer(string: text)
    }()
}

import Milter

/// The example filter: tags every message and refuses one sender.
struct ExampleFilter: MilterHandler {
    var capabilities: MilterCapabilities { MilterCapabilities(requiredActions: [.addHeaders]) }

    func envelopeFrom(_ sender: EnvelopeAddress, macros: MilterMacros) async throws -> MilterVerdict {
        guard sender.address.lowercased() == "reject@example.com" else { return .continue }
        return .reply(try SMTPReply("550 5.7.1 rejected by example"))
    }

    func endOfMessage(_ modifier: MessageModifier, macros: MilterMacros) async throws -> MilterVerdict {
        try modifier.addHeader("X-Sekisho-Example", value: "yes")
        return .continue
    }
}

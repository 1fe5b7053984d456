import Logging
import Milter
import NIOCore

/// The gateway's milter handler: follows each message through the protocol and logs one line
/// per message with the Postfix queue id. The policy pipeline plugs in here (gateway issue);
/// until then every message passes unchanged.
struct GatewayFilter: MilterHandler {
    let logger: Logger
    private var sender: EnvelopeAddress?
    private var recipients = 0
    private var bodyBytes = 0

    init(logger: Logger) {
        self.logger = logger
    }

    mutating func envelopeFrom(_ sender: EnvelopeAddress, macros: MilterMacros) async throws -> MilterVerdict {
        self.sender = sender
        recipients = 0
        bodyBytes = 0
        return .continue
    }

    mutating func envelopeRecipient(_ recipient: EnvelopeAddress, macros: MilterMacros) async throws -> MilterVerdict {
        recipients += 1
        return .continue
    }

    mutating func bodyChunk(_ chunk: ByteBuffer, macros: MilterMacros) async throws -> MilterVerdict {
        bodyBytes += chunk.readableBytes
        return .continue
    }

    mutating func endOfMessage(_ modifier: MessageModifier, macros: MilterMacros) async throws -> MilterVerdict {
        logger.info(
            "message passed",
            metadata: [
                "mail.queue_id": "\(macros.queueID ?? "-")",
                "mail.from": "\(sender?.address ?? "")",
                "mail.rcpt_count": "\(recipients)",
                "mail.body_bytes": "\(bodyBytes)",
                "verdict": "continue",
            ]
        )
        return .continue
    }
}

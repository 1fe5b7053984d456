import NIOCore

/// A filter: one method per protocol event, each returning the filter's ``MilterVerdict``.
///
/// A server creates one handler per milter connection (and a fresh one after `SMFIC_QUIT_NC`)
/// and calls it strictly in protocol order, never concurrently, so a handler keeps
/// per-connection state in plain stored properties. Every method has a default that continues;
/// implement only what the filter needs. Per-message state belongs to ``envelopeFrom(_:macros:)``
/// (a new message), ``endOfMessage(_:macros:)`` and ``abort(macros:)``.
///
/// A method that throws is answered with the server's failure verdict (tempfail by default);
/// the connection goes on.
public protocol MilterHandler: SendableMetatype {
    /// What to ask of the MTA at option negotiation. Default: ``MilterCapabilities/init(requiredActions:optionalActions:events:noReplyEvents:macros:headerLeadingSpace:rejectedRecipients:skip:largePackets:)``.
    var capabilities: MilterCapabilities { get }

    /// `SMFIC_CONNECT`: the SMTP client connected.
    mutating func connect(_ client: ConnectInfo, macros: MilterMacros) async throws -> MilterVerdict
    /// `SMFIC_HELO`: HELO or EHLO (may come more than once).
    mutating func helo(_ name: String, macros: MilterMacros) async throws -> MilterVerdict
    /// `SMFIC_MAIL`: a new message starts with this sender.
    mutating func envelopeFrom(_ sender: EnvelopeAddress, macros: MilterMacros) async throws -> MilterVerdict
    /// `SMFIC_RCPT`: one recipient; reject or tempfail here refuses only this recipient.
    mutating func envelopeRecipient(_ recipient: EnvelopeAddress, macros: MilterMacros) async throws -> MilterVerdict
    /// `SMFIC_DATA`: the DATA command.
    mutating func data(macros: MilterMacros) async throws -> MilterVerdict
    /// `SMFIC_HEADER`: one header field, in message order.
    mutating func header(_ field: HeaderField, macros: MilterMacros) async throws -> MilterVerdict
    /// `SMFIC_EOH`: all headers have been sent.
    mutating func endOfHeaders(macros: MilterMacros) async throws -> MilterVerdict
    /// `SMFIC_BODY`: one body chunk (CRLF line ends; a chunk may end inside a line, even between
    /// CR and LF).
    mutating func bodyChunk(_ chunk: ByteBuffer, macros: MilterMacros) async throws -> MilterVerdict
    /// `SMFIC_BODYEOB`: the message is complete; make changes through `modifier` and decide.
    mutating func endOfMessage(_ modifier: MessageModifier, macros: MilterMacros) async throws -> MilterVerdict
    /// `SMFIC_ABORT`: the MTA abandoned the current message before its end (not called after the
    /// filter's own final verdict, nor outside a message).
    mutating func abort(macros: MilterMacros) async
    /// `SMFIC_UNKNOWN`: an SMTP command the MTA did not recognise (the MTA rejects it anyway).
    mutating func unknown(_ command: String, macros: MilterMacros) async throws -> MilterVerdict
    /// The connection ended (QUIT, QUIT_NC, EOF or error); called exactly once per handler.
    mutating func close() async
}

extension MilterHandler {
    public var capabilities: MilterCapabilities { MilterCapabilities() }

    public mutating func connect(_ client: ConnectInfo, macros: MilterMacros) async throws -> MilterVerdict {
        .continue
    }

    public mutating func helo(_ name: String, macros: MilterMacros) async throws -> MilterVerdict {
        .continue
    }

    public mutating func envelopeFrom(_ sender: EnvelopeAddress, macros: MilterMacros) async throws -> MilterVerdict {
        .continue
    }

    public mutating func envelopeRecipient(
        _ recipient: EnvelopeAddress,
        macros: MilterMacros
    ) async throws -> MilterVerdict {
        .continue
    }

    public mutating func data(macros: MilterMacros) async throws -> MilterVerdict {
        .continue
    }

    public mutating func header(_ field: HeaderField, macros: MilterMacros) async throws -> MilterVerdict {
        .continue
    }

    public mutating func endOfHeaders(macros: MilterMacros) async throws -> MilterVerdict {
        .continue
    }

    public mutating func bodyChunk(_ chunk: ByteBuffer, macros: MilterMacros) async throws -> MilterVerdict {
        .continue
    }

    public mutating func endOfMessage(_ modifier: MessageModifier, macros: MilterMacros) async throws -> MilterVerdict {
        .continue
    }

    public mutating func abort(macros: MilterMacros) async {}

    public mutating func unknown(_ command: String, macros: MilterMacros) async throws -> MilterVerdict {
        .continue
    }

    public mutating func close() async {}
}

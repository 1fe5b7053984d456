import NIOCore

/// The protocol rules of one milter connection on the filter side, without I/O — the core the
/// server's session driver runs, public so other I/O shells (and fuzzers) can drive it.
///
/// Feed it each decoded command with ``receive(_:)``; it answers with an ``Action`` for the I/O
/// shell to carry out. After a ``Action/deliver(_:abortFirst:)`` the shell calls the handler and
/// reports the verdict with ``completed(_:)``, which yields the reply to send (or none).
///
/// Rules it enforces (see docs/milter-protocol.md, "the twenty things"):
/// - exactly one reply per command, none to `D`, `A`, `Q`, `K` or to events negotiated `NR_*`;
/// - `ABORT` anywhere and repeatedly; `MAIL` or `HELO` inside a message aborts it first (as libmilter);
/// - many messages per connection, `QUIT_NC` then a new `CONNECT`;
/// - message commands in order (MAIL < RCPT < DATA < header < EOH < body < EOM, repeats where
///   the protocol repeats); anything else is a protocol violation that ends the connection;
/// - skip: `SMFIR_SKIP` for body chunks when negotiated, otherwise answered internally.
public struct MilterSessionStateMachine {
    /// An event to hand to the ``MilterHandler``.
    public enum Event: Hashable, Sendable {
        case connect(ConnectInfo)
        case helo(String)
        case envelopeFrom(EnvelopeAddress)
        case envelopeRecipient(EnvelopeAddress)
        case data
        case header(HeaderField)
        case endOfHeaders
        case body(ByteBuffer)
        case endOfMessage
        case unknown(String)

        /// The event kind, `nil` for end of message.
        public var kind: MilterEvents? {
            switch self {
            case .connect: .connect
            case .helo: .helo
            case .envelopeFrom: .envelopeFrom
            case .envelopeRecipient: .envelopeRecipient
            case .data: .data
            case .header: .header
            case .endOfHeaders: .endOfHeaders
            case .body: .body
            case .unknown: .unknown
            case .endOfMessage: nil
            }
        }
    }

    /// What the I/O shell must do next.
    public enum Action: Hashable, Sendable {
        /// Nothing to send, nothing to call.
        case none
        /// Send this response (negotiation reply, or an answer the session gives by itself).
        case send(MilterResponse)
        /// Call the handler (after its `abort` if `abortFirst`), then report with ``completed(_:)``.
        case deliver(Event, abortFirst: Bool)
        /// Tell the handler the message was aborted, then send `reply` if there is one (a HELO or
        /// MAIL inside an open message that the session answers itself).
        case abort(reply: MilterResponse?)
        /// `QUIT`: end the connection (abort first when `abortFirst`).
        case close(abortFirst: Bool)
        /// `QUIT_NC`: close the handler (abort first when `abortFirst`) and start a new one.
        case restart(abortFirst: Bool)
        /// The peer broke the protocol: log and close.
        case violation(MilterProtocolError)
    }

    private enum Connection {
        case awaitingNegotiation
        case awaitingConnect
        case connected
    }

    /// Message phases in the order the protocol allows.
    private enum Phase: Int, Comparable {
        case idle = 0, mail, recipient, data, header, endOfHeaders, body

        static func < (lhs: Phase, rhs: Phase) -> Bool { lhs.rawValue < rhs.rawValue }

        /// Phases a command may repeat in.
        var repeats: Bool { self == .recipient || self == .header || self == .body }
    }

    /// What the filter asks of the MTA.
    public let capabilities: MilterCapabilities
    /// The negotiated options, once `SMFIC_OPTNEG` has been answered.
    public private(set) var negotiated: NegotiatedOptions?
    /// The macros currently visible.
    public private(set) var macros = MilterMacros()
    private var connection = Connection.awaitingNegotiation
    private var phase = Phase.idle
    /// A message is open for the handler: MAIL (or its stand-in) seen, no final verdict, no EOM.
    public private(set) var messageOpen = false
    /// The MTA's transaction is open: MAIL seen and no EOM, ABORT, HELO or new MAIL since. The
    /// filter's own verdicts do not close it: Postfix does not reset a transaction whose DATA was
    /// refused, and the client may send more RCPT or DATA commands (smtpd.c).
    private var envelopeOpen = false
    /// A connect or HELO verdict of discard: every message of this connection is discarded.
    private var discardMessages = false
    /// The current message is being discarded by the session.
    private var discardingMessage = false
    /// The repeated event the session answers by itself after a skip verdict.
    private var skipping: MilterEvents?
    /// The event handed to the handler and not yet completed.
    private var pending: (kind: MilterEvents?, awaitsReply: Bool)?

    /// A state machine for a filter with these capabilities, awaiting `SMFIC_OPTNEG`.
    public init(capabilities: MilterCapabilities) {
        self.capabilities = capabilities
    }

    /// Whether the connection is between messages (a safe point to close on shutdown).
    public var isBetweenMessages: Bool { !messageOpen && pending == nil }

    /// An `SMFIC_MACRO` payload, stored without decoding (the hot path: Postfix sends one before
    /// every command, header and body chunk). Same rules as ``receive(_:)`` with `.macro`.
    public mutating func receiveMacros(_ payload: ByteBuffer) -> Action {
        guard negotiated != nil else {
            return .violation(MilterProtocolError(.unexpectedCommand, "'D' before SMFIC_OPTNEG"))
        }
        var pairs = payload
        guard let stage = pairs.readInteger(as: UInt8.self) else {
            return .violation(MilterProtocolError(.malformedPayload, "SMFIC_MACRO without a stage byte"))
        }
        if pairs.readableBytes > 0, pairs.getInteger(at: pairs.writerIndex - 1, as: UInt8.self) != 0 {
            return .violation(MilterProtocolError(.malformedPayload, "SMFIC_MACRO name is not NUL-terminated"))
        }
        macros.set(MilterCommandCode(rawValue: stage), pairs: pairs)
        return .none
    }

    /// Takes one decoded command and says what to do.
    public mutating func receive(_ command: MilterCommand) -> Action {
        if case .optionNegotiation(let offer) = command {
            guard connection == .awaitingNegotiation else {
                return .violation(MilterProtocolError(.unexpectedCommand, "second SMFIC_OPTNEG"))
            }
            do {
                let options = try NegotiatedOptions.negotiate(offer: offer, capabilities: capabilities)
                negotiated = options
                connection = options.protocolOptions.contains(.noConnect) ? .connected : .awaitingConnect
                return .send(.optionNegotiation(options.reply))
            } catch let error as MilterProtocolError {
                return .violation(error)
            } catch {
                return .violation(MilterProtocolError(.negotiationFailed, "\(error)"))
            }
        }
        guard let negotiated else {
            return .violation(MilterProtocolError(.unexpectedCommand, "\(command.code) before SMFIC_OPTNEG"))
        }
        switch command {
        case .optionNegotiation:
            preconditionFailure("handled above")
        case .macro(let stage, let list):
            macros.set(stage, list)
            return .none
        case .abort:
            skipping = nil
            phase = .idle
            envelopeOpen = false
            discardingMessage = false
            macros.clearMessage()
            if messageOpen {
                messageOpen = false
                return .abort(reply: nil)
            }
            return .none
        case .quit:
            defer { messageOpen = false }
            return .close(abortFirst: messageOpen)
        case .quitNewConnection:
            let abortFirst = messageOpen
            messageOpen = false
            envelopeOpen = false
            discardMessages = false
            discardingMessage = false
            phase = .idle
            skipping = nil
            macros.removeAll()
            connection = negotiated.protocolOptions.contains(.noConnect) ? .connected : .awaitingConnect
            return .restart(abortFirst: abortFirst)
        case .connect(let hostname, let address):
            guard connection == .awaitingConnect else {
                return .violation(MilterProtocolError(.unexpectedCommand, "SMFIC_CONNECT on a connected session"))
            }
            connection = .connected
            macros.clear(after: .connect)
            return deliver(.connect(ConnectInfo(hostname: hostname, address: address)), abortFirst: false)
        case .helo(let name):
            guard connection == .connected else { return notConnected(command) }
            let abortFirst = closeOpenMessage()
            macros.clear(after: .helo)
            return deliver(.helo(name), abortFirst: abortFirst)
        case .mail(let sender, let parameters):
            guard connection == .connected else { return notConnected(command) }
            let abortFirst = closeOpenMessage()
            macros.clear(after: .mail)
            phase = .mail
            messageOpen = true
            envelopeOpen = true
            discardingMessage = discardMessages
            return deliver(.envelopeFrom(EnvelopeAddress(raw: sender, parameters: parameters)), abortFirst: abortFirst)
        case .recipient(let recipient, let parameters):
            return messageCommand(.recipient, command, .envelopeRecipient(EnvelopeAddress(raw: recipient, parameters: parameters)))
        case .data:
            return messageCommand(.data, command, .data)
        case .header(let name, let value):
            var field = HeaderField(name: name, valueBytes: value)
            field.leadingSpaceKept = negotiated.protocolOptions.contains(.headerLeadingSpace)
            return messageCommand(.header, command, .header(field))
        case .endOfHeaders:
            return messageCommand(.endOfHeaders, command, .endOfHeaders)
        case .body(let chunk):
            return messageCommand(.body, command, .body(chunk))
        case .endOfMessage:
            guard connection == .connected else { return notConnected(command) }
            guard phase != .idle || envelopeOpen || !negotiated.mtaSends(.envelopeFrom) else {
                return .violation(MilterProtocolError(.unexpectedCommand, "SMFIC_BODYEOB outside a message"))
            }
            macros.clear(after: .endOfMessage)
            skipping = nil
            envelopeOpen = false
            if discardingMessage {
                discardingMessage = false
                messageOpen = false
                phase = .idle
                return .send(.discard)
            }
            messageOpen = true
            pending = (nil, true)
            return .deliver(.endOfMessage, abortFirst: false)
        case .unknown(let line):
            return deliver(.unknown(line), abortFirst: false)
        }
    }

    /// Reports the handler's verdict for the pending event; returns the reply to send, if any, and
    /// whether a verdict had to be dropped because the MTA does not read replies to this event.
    public mutating func completed(_ verdict: MilterVerdict) -> (response: MilterResponse?, dropped: Bool) {
        guard let (kind, awaitsReply) = pending else {
            // Nothing is pending: a caller error; answering nothing keeps the stream in sync.
            return (nil, false)
        }
        pending = nil
        guard let kind else {
            // End of message: the message is over whatever the verdict.
            phase = .idle
            messageOpen = false
            return (verdict == .skip ? .continue : verdict.response, false)
        }
        if verdict == .skip {
            skipping = [.header, .envelopeRecipient, .body].contains(kind) ? kind : nil
            guard awaitsReply else { return (nil, false) }
            return (kind == .body && negotiated?.skipAllowed == true ? .skip : .continue, false)
        }
        guard awaitsReply else {
            return (nil, verdict != .continue)
        }
        if verdict == .discard, kind == .connect || kind == .helo {
            // Postfix refuses DISCARD at connect and HELO as a configuration error; the session
            // answers continue and discards every message of the connection instead.
            discardMessages = true
            return (.continue, false)
        }
        if endsMessage(verdict, at: kind) {
            phase = .idle
            messageOpen = false
            skipping = nil
            if kind == .envelopeFrom {
                // A refused MAIL leaves no transaction at the MTA.
                envelopeOpen = false
            }
        }
        return (verdict.response, false)
    }

    /// Where a verdict ends the message for the MTA: anything but continue from MAIL to body;
    /// at RCPT only accept and discard (reject and tempfail refuse just that recipient).
    private func endsMessage(_ verdict: MilterVerdict, at kind: MilterEvents) -> Bool {
        guard verdict != .continue else { return false }
        switch kind {
        case .envelopeFrom, .data, .header, .endOfHeaders, .body:
            return true
        case .envelopeRecipient:
            return verdict == .accept || verdict == .discard || verdict == .shutdown
        default:
            return false
        }
    }

    private mutating func messageCommand(_ target: Phase, _ command: MilterCommand, _ event: Event) -> Action {
        guard connection == .connected, let negotiated else { return notConnected(command) }
        if target <= .data, envelopeOpen, phase <= .data {
            // Envelope commands while the transaction is open, including RCPT or DATA again
            // after a refused DATA (Postfix does not reset the transaction then).
            messageOpen = true
        } else if phase == .idle {
            guard !negotiated.mtaSends(.envelopeFrom) else {
                return .violation(MilterProtocolError(.unexpectedCommand, "\(command.code) outside a message (no SMFIC_MAIL)"))
            }
            messageOpen = true
            envelopeOpen = true
            discardingMessage = discardMessages
        } else if target < phase || (target == phase && !target.repeats) {
            return .violation(
                MilterProtocolError(.unexpectedCommand, "\(command.code) after \(Self.name(of: phase)) in the same message")
            )
        }
        phase = target
        return deliver(event, abortFirst: false)
    }

    private mutating func deliver(_ event: Event, abortFirst: Bool) -> Action {
        guard let negotiated, let kind = event.kind else { preconditionFailure("deliver before negotiation") }
        let awaitsReply = negotiated.mtaAwaitsReply(kind)
        if skipping != nil, skipping != kind {
            skipping = nil
        }
        if discardingMessage, ![.connect, .helo, .unknown].contains(kind) {
            messageOpen = false
            let reply: MilterResponse? = awaitsReply ? .discard : nil
            return abortFirst ? .abort(reply: reply) : (reply.map { .send($0) } ?? .none)
        }
        if skipping == kind || !negotiated.deliveredEvents.contains(kind) {
            let reply: MilterResponse? = awaitsReply ? .continue : nil
            return abortFirst ? .abort(reply: reply) : (reply.map { .send($0) } ?? .none)
        }
        pending = (kind, awaitsReply)
        return .deliver(event, abortFirst: abortFirst)
    }

    /// MAIL or HELO inside an open message: libmilter aborts the message first.
    private mutating func closeOpenMessage() -> Bool {
        let wasOpen = messageOpen
        messageOpen = false
        envelopeOpen = false
        discardingMessage = false
        phase = .idle
        skipping = nil
        return wasOpen
    }

    private func notConnected(_ command: MilterCommand) -> Action {
        .violation(MilterProtocolError(.unexpectedCommand, "\(command.code) before SMFIC_CONNECT"))
    }

    private static func name(of phase: Phase) -> String {
        switch phase {
        case .idle: "idle"
        case .mail: "SMFIC_MAIL"
        case .recipient: "SMFIC_RCPT"
        case .data: "SMFIC_DATA"
        case .header: "SMFIC_HEADER"
        case .endOfHeaders: "SMFIC_EOH"
        case .body: "SMFIC_BODY"
        }
    }
}

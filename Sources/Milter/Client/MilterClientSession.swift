import NIOConcurrencyHelpers
import NIOCore

/// One milter connection seen from the MTA side, created by ``MilterClient/withSession(to:configuration:_:)``.
///
/// Each step method sends the macros given for it (filtered to the lists the filter asked for),
/// then the command, and reads the reply — unless the filter negotiated the event away
/// (`SMFIP_NO*`, result ``MilterClientReply/Disposition/notSent``) or asked not to be waited for
/// (`SMFIP_NR_*`, ``MilterClientReply/Disposition/noReplyExpected``). Commands that need no
/// reply are buffered and leave with the next command that does, as one write.
///
/// Replies are checked as a strict MTA would: modifications only at end of message and only
/// when negotiated, replacement body packets contiguous, `SMFIR_REPLYCODE` text valid, no
/// trailing bytes. A violation throws ``MilterProtocolError``.
public final class MilterClientSession {
    /// The options agreed at negotiation (`offered` is what this client sent).
    public private(set) var negotiated: NegotiatedOptions!
    /// Whether `QUIT` has been sent or the connection was lost.
    public private(set) var isClosed = false

    private var inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    private let channel: any Channel
    private let configuration: MilterClient.Configuration
    private var decoder: MilterFrameDecoder
    private var pending = ByteBuffer()
    private var output: ByteBuffer
    private let timedOut = NIOLockedValueBox(false)

    /// The filter decided for the whole connection (accept/reject/tempfail at connect or HELO, shutdown).
    private var connectionDecided = false
    /// The filter decided for the current message.
    private var messageDecided = false
    /// The repeated event the filter asked to skip.
    private var skipping: MilterEvents?

    init(
        inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator,
        outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>,
        channel: any Channel,
        configuration: MilterClient.Configuration
    ) {
        self.inbound = inbound
        self.outbound = outbound
        self.channel = channel
        self.configuration = configuration
        self.decoder = MilterFrameDecoder(maximumFrameLength: configuration.maximumFrameLength)
        self.output = channel.allocator.buffer(capacity: 1024)
    }

    // MARK: - Negotiation

    func negotiate() async throws {
        let offer = configuration.offer
        output.writeMilterCommand(.optionNegotiation(offer))
        try await flush()
        let response = try await readResponse()
        guard case .optionNegotiation(let reply) = response else {
            throw MilterProtocolError(.unexpectedResponse, "expected the negotiation reply, got \(response.code)")
        }
        guard reply.version >= 2, reply.version <= offer.version else {
            throw MilterProtocolError(
                .negotiationFailed,
                "filter answered protocol version \(reply.version), offered \(offer.version)"
            )
        }
        let extraActions = reply.actions.subtracting(offer.actions)
        guard extraActions.isEmpty else {
            throw MilterProtocolError(.negotiationFailed, "filter requested actions not offered: \(extraActions)")
        }
        let extraOptions = reply.protocolOptions.subtracting(offer.protocolOptions)
        if configuration.strict, !extraOptions.isEmpty {
            throw MilterProtocolError(.negotiationFailed, "filter requested protocol options not offered: \(extraOptions)")
        }
        negotiated = NegotiatedOptions(
            version: reply.version,
            offered: offer,
            actions: reply.actions,
            protocolOptions: reply.protocolOptions.intersection(offer.protocolOptions),
            deliveredEvents: .all,
            macroRequests: reply.macroRequests
        )
    }

    // MARK: - Steps

    /// `SMFIC_CONNECT`.
    public func connect(hostname: String, address: ConnectAddress, macros: [MilterMacro]? = nil) async throws -> MilterClientReply {
        try await step(.connect, .connect(hostname: hostname, address: address), macros: macros)
    }

    /// `SMFIC_HELO`.
    public func helo(_ name: String, macros: [MilterMacro]? = nil) async throws -> MilterClientReply {
        try await step(.helo, .helo(name), macros: macros)
    }

    /// `SMFIC_MAIL`: starts a message.
    public func mail(_ sender: EnvelopeAddress, macros: [MilterMacro]? = nil) async throws -> MilterClientReply {
        messageDecided = false
        skipping = nil
        return try await step(.envelopeFrom, .mail(sender: sender.raw, parameters: sender.parameters), macros: macros)
    }

    /// `SMFIC_RCPT`.
    public func recipient(_ recipient: EnvelopeAddress, macros: [MilterMacro]? = nil) async throws -> MilterClientReply {
        try await step(.envelopeRecipient, .recipient(recipient.raw, parameters: recipient.parameters), macros: macros)
    }

    /// `SMFIC_DATA` (skipped for filters speaking a version below 4).
    public func data(macros: [MilterMacro]? = nil) async throws -> MilterClientReply {
        guard negotiated.version >= 4 else { return MilterClientReply(.notSent) }
        return try await step(.data, .data, macros: macros)
    }

    /// `SMFIC_HEADER` with the value as the MTA passes it (folded lines joined by LF).
    public func header(_ field: HeaderField, macros: [MilterMacro]? = nil) async throws -> MilterClientReply {
        try await step(.header, .header(name: field.name, value: field.valueBytes), macros: macros, macroStage: .header)
    }

    /// `SMFIC_EOH`.
    public func endOfHeaders(macros: [MilterMacro]? = nil) async throws -> MilterClientReply {
        try await step(.endOfHeaders, .endOfHeaders, macros: macros)
    }

    /// The body in `SMFIC_BODY` chunks of at most 65,535 bytes (Postfix's `MILTER_CHUNK_SIZE`);
    /// stops early when the filter skips or decides. Returns the last reply.
    public func body(_ body: ByteBuffer, macros: [MilterMacro]? = nil) async throws -> MilterClientReply {
        var rest = body
        var last = MilterClientReply(.notSent)
        while rest.readableBytes > 0 {
            let chunk = rest.readSlice(length: min(rest.readableBytes, 65_535))!
            last = try await step(.body, .body(chunk), macros: macros, macroStage: .body)
            if !last.continues || skipping == .body || last.response == .skip {
                break
            }
        }
        return last
    }

    /// `SMFIC_BODYEOB`: the reply's ``MilterClientReply/interim`` holds the modifications.
    public func endOfMessage(macros: [MilterMacro]? = nil) async throws -> MilterClientReply {
        guard !isClosed else { throw MilterClientError("session is closed") }
        if connectionDecided || messageDecided { return MilterClientReply(.suppressed) }
        if let macros { enqueueMacros(.endOfMessage, macros) }
        output.writeMilterCommand(.endOfMessage(finalChunk: nil))
        let reply = try await awaitReply(endOfMessage: true)
        messageDecided = false
        skipping = nil
        return reply
    }

    /// `SMFIC_UNKNOWN`.
    public func unknown(_ line: String, macros: [MilterMacro]? = nil) async throws -> MilterClientReply {
        guard negotiated.version >= 3 else { return MilterClientReply(.notSent) }
        return try await step(.unknown, .unknown(line), macros: macros)
    }

    /// `SMFIC_ABORT`: ends the current message (no reply).
    public func abort() async throws {
        output.writeMilterCommand(.abort)
        try await flush()
        messageDecided = false
        skipping = nil
    }

    /// `SMFIC_QUIT`: ends the session (no reply).
    public func quit() async throws {
        guard !isClosed else { return }
        output.writeMilterCommand(.quit)
        try await flush()
        isClosed = true
    }

    /// `SMFIC_QUIT_NC`: ends the SMTP session but keeps the milter connection for a new `connect`.
    public func quitNewConnection() async throws {
        output.writeMilterCommand(.quitNewConnection)
        try await flush()
        connectionDecided = false
        messageDecided = false
        skipping = nil
    }

    /// Sends raw bytes as they are (for tests of broken peers).
    public func sendRaw(_ bytes: ByteBuffer) async throws {
        output.writeImmutableBuffer(bytes)
        try await flush()
    }

    /// Sends an `SMFIC_MACRO` packet now, unfiltered.
    public func sendMacros(_ stage: MilterCommandCode, _ macros: [MilterMacro]) async throws {
        output.writeMilterCommand(.macro(stage: stage, macros: macros))
        try await flush()
    }

    // MARK: - Internals

    private func step(
        _ event: MilterEvents,
        _ command: MilterCommand,
        macros: [MilterMacro]?,
        macroStage: MilterCommandCode? = nil
    ) async throws -> MilterClientReply {
        guard !isClosed else { throw MilterClientError("session is closed") }
        let messageStep = event != .connect && event != .helo
        if connectionDecided || (messageStep && messageDecided && event != .envelopeFrom) {
            // Postfix sends nothing more for a decided message, not even SMFIC_UNKNOWN.
            return MilterClientReply(.suppressed)
        }
        if let skipped = skipping {
            // Postfix 3.12 skips the event before sending its macros.
            if skipped == event { return MilterClientReply(.suppressed) }
            skipping = nil
        }
        if let macros {
            // Macros go out even for events the filter turned off (Postfix does the same).
            enqueueMacros(macroStage ?? command.code, macros)
        }
        guard negotiated.mtaSends(event) else {
            return MilterClientReply(.notSent)
        }
        output.writeMilterCommand(command)
        guard negotiated.mtaAwaitsReply(event) else {
            return MilterClientReply(.noReplyExpected)
        }
        let reply = try await awaitReply(endOfMessage: false)
        guard let response = reply.response else { return reply }
        switch response {
        case .continue:
            break
        case .skip:
            skipping = event
        case .shutdown:
            connectionDecided = true
        case .discard where event == .connect || event == .helo:
            throw MilterProtocolError(
                .unexpectedResponse,
                "SMFIR_DISCARD at \(event == .connect ? "connect" : "HELO") (Postfix: a configuration error)"
            )
        default:
            if event == .connect || event == .helo {
                connectionDecided = true
            } else if event == .envelopeRecipient {
                if response == .accept || response == .discard { messageDecided = true }
            } else if event != .unknown {
                messageDecided = true
            }
        }
        return reply
    }

    private func enqueueMacros(_ stage: MilterCommandCode, _ macros: [MilterMacro]) {
        var list = macros
        if let wanted = requestedNames(for: stage) {
            list = macros.filter { wanted.contains(MilterMacros.normalized($0.name)) }
        }
        output.writeMilterCommand(.macro(stage: stage, macros: list))
    }

    /// The filter's macro list for a stage, if it sent a non-empty one (Postfix falls back to its
    /// own list when the filter's list is empty).
    private func requestedNames(for stage: MilterCommandCode) -> Set<Substring>? {
        let macroStage: MacroStage
        switch stage {
        case .connect: macroStage = .connect
        case .helo: macroStage = .helo
        case .mail: macroStage = .envelopeFrom
        case .recipient: macroStage = .envelopeRecipient
        case .data: macroStage = .data
        case .endOfHeaders, .header: macroStage = .endOfHeaders
        case .endOfMessage, .body: macroStage = .endOfMessage
        default: return nil
        }
        guard let request = negotiated.macroRequests.first(where: { $0.stage == macroStage }), !request.names.isEmpty else {
            return nil
        }
        return Set(request.names.map { MilterMacros.normalized($0) })
    }

    private func awaitReply(endOfMessage: Bool) async throws -> MilterClientReply {
        try await flush()
        var interim: [MilterResponse] = []
        var bodyRun: (started: Bool, ended: Bool) = (false, false)
        while true {
            let response = try await readResponse()
            switch response {
            case .progress:
                interim.append(response)
            case .quarantine:
                try requireAction(.quarantine, for: response)
                interim.append(response)
            case .addHeader, .insertHeader, .changeHeader, .addRecipient, .addRecipientWithParameters,
                .deleteRecipient, .changeSender, .replaceBody:
                guard endOfMessage else {
                    throw MilterProtocolError(.unexpectedResponse, "\(response.code) is only allowed at end of message")
                }
                try requireAction(response.requiredAction!, for: response)
                if case .replaceBody = response {
                    guard !bodyRun.ended else {
                        throw MilterProtocolError(
                            .unexpectedResponse,
                            "SMFIR_REPLBODY packets are not contiguous (another modification came between them)"
                        )
                    }
                    bodyRun.started = true
                } else if bodyRun.started {
                    bodyRun.ended = true
                }
                interim.append(response)
            case .skip:
                guard !endOfMessage, negotiated.skipAllowed else {
                    throw MilterProtocolError(.unexpectedResponse, "SMFIR_SKIP was not negotiated or came at end of message")
                }
                return MilterClientReply(.replied(response), interim: interim)
            case .replyCode(let text):
                if let refusal = SMTPReply.postfixRefusal(text) {
                    throw MilterProtocolError(.malformedPayload, "SMFIR_REPLYCODE \"\(text)\": \(refusal)")
                }
                do {
                    _ = try SMTPReply(parsing: text)
                } catch {
                    throw MilterProtocolError(.malformedPayload, "SMFIR_REPLYCODE \"\(text)\": \(error.reason)")
                }
                return MilterClientReply(.replied(response), interim: interim)
            case .continue, .accept, .reject, .tempfail, .discard, .shutdown:
                return MilterClientReply(.replied(response), interim: interim)
            case .connectionFailure, .optionNegotiation, .setSymbolList:
                throw MilterProtocolError(.unexpectedResponse, "\(response.code) is not a reply an MTA accepts here")
            }
        }
    }

    private func requireAction(_ action: MilterActions, for response: MilterResponse) throws {
        guard negotiated.actions.contains(action) else {
            throw MilterProtocolError(.actionNotNegotiated, "\(response.code) needs \(action), negotiated \(negotiated.actions)")
        }
    }

    private func flush() async throws {
        guard output.readableBytes > 0 else { return }
        let batch = output
        output.clear()
        do {
            try await outbound.write(batch)
        } catch {
            isClosed = true
            throw error
        }
    }

    private func readResponse() async throws -> MilterResponse {
        while true {
            if let frame = try decoder.decode(buffer: &pending) {
                return try MilterResponse(frame: frame)
            }
            let channel = self.channel
            let flag = self.timedOut
            let timer = channel.eventLoop.scheduleTask(in: configuration.timeout) {
                flag.withLockedValue { $0 = true }
                channel.close(promise: nil)
            }
            let next: ByteBuffer?
            do {
                next = try await inbound.next()
            } catch {
                timer.cancel()
                isClosed = true
                throw timedOut.withLockedValue({ $0 }) ? timeoutError() : error
            }
            timer.cancel()
            guard var chunk = next else {
                isClosed = true
                if timedOut.withLockedValue({ $0 }) { throw timeoutError() }
                throw MilterClientError(
                    pending.readableBytes > 0
                        ? "filter closed the connection inside a frame" : "filter closed the connection"
                )
            }
            if pending.readableBytes == 0 {
                pending = chunk
            } else {
                pending.writeBuffer(&chunk)
            }
        }
    }

    private func timeoutError() -> MilterClientError {
        MilterClientError("no reply from the filter within \(configuration.timeout.nanoseconds / 1_000_000) ms")
    }
}

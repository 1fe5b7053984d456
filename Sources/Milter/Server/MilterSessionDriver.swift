import Logging
import NIOCore

/// Runs one milter connection: decodes frames, feeds the ``MilterSessionStateMachine``, calls the
/// ``MilterHandler`` and writes each batch of replies at once.
///
/// It owns no socket: the server passes the inbound byte stream and a ``MilterTransport``; tests
/// pass in-memory ones. One batch of input (one read) yields at most one write, so replies to
/// pipelined commands and the end-of-message modifications plus final reply leave together.
struct MilterSessionDriver {
    /// Per-connection settings taken from the server configuration.
    struct Settings: Sendable {
        var maximumFrameLength = MilterFrameDecoder.defaultMaximumFrameLength
        var failureVerdict = MilterVerdict.tempfail
    }

    /// How a session ended.
    enum Outcome: Sendable {
        /// The MTA sent `SMFIC_QUIT`.
        case quit
        /// The MTA closed the connection between frames.
        case endOfStream
        /// Closed at a safe point for graceful shutdown.
        case shutdown
        /// Closed by the watchdog.
        case timedOut(SessionWatchdog.Reason)
        /// The MTA broke the protocol.
        case violation(MilterProtocolError)
        /// Reading or writing failed.
        case failed(any Error)
    }

    let settings: Settings
    let context: MilterSessionContext
    let makeHandler: (MilterSessionContext) -> any MilterHandler

    private var logger: Logger { context.logger }

    func run(
        inbound: any MilterByteSource,
        transport: any MilterTransport,
        watchdog: SessionWatchdog?
    ) async -> Outcome {
        var handler = makeHandler(context)
        var machine = MilterSessionStateMachine(capabilities: handler.capabilities)
        var decoder = MilterFrameDecoder(maximumFrameLength: settings.maximumFrameLength)
        // `pending` must not keep NIO's receive buffer alive once consumed (NIO reuses that buffer
        // when nobody else holds it), so it is reset to a shared empty buffer, not cleared.
        let empty = ByteBuffer()
        var pending = empty
        var output = ByteBuffer()
        output.reserveCapacity(256)
        var outcome: Outcome

        do {
            reading: while true {
                watchdog?.waiting(midFrame: pending.readableBytes > 0, betweenMessages: machine.isBetweenMessages)
                guard var chunk = try await inbound.next() else {
                    if let reason = watchdog?.closedFor {
                        outcome = reason == .shutdown ? .shutdown : .timedOut(reason)
                    } else if pending.readableBytes > 0 {
                        outcome = .violation(
                            MilterProtocolError(
                                .truncatedFrame,
                                "connection closed inside a frame (\(pending.readableBytes) bytes pending)"
                            )
                        )
                    } else {
                        outcome = .endOfStream
                    }
                    break reading
                }
                watchdog?.busy()
                if pending.readableBytes == 0 {
                    pending = chunk
                } else {
                    // A frame spans reads: make room for all of it at once (one copy, no regrowth).
                    if let length = pending.getInteger(at: pending.readerIndex, as: UInt32.self) {
                        let frame = 4 + min(Int(length), settings.maximumFrameLength)
                        pending.reserveCapacity(minimumWritableBytes: max(chunk.readableBytes, frame - pending.readableBytes))
                    }
                    pending.writeBuffer(&chunk)
                }
                while let frame = try decoder.decode(buffer: &pending) {
                    if frame.code == MilterCommandCode.macro.rawValue {
                        if case .violation(let error) = machine.receiveMacros(frame.payload) { throw error }
                        continue
                    }
                    let command = try MilterCommand(frame: frame)
                    logger.trace("milter command", metadata: ["milter.command": "\(command.code)"])
                    if case .endOfMessage(let finalChunk?) = command {
                        // libmilter: data carried by SMFIC_BODYEOB is a last body chunk.
                        if let answered = try await deliverFinalChunk(finalChunk, &handler, &machine) {
                            output.writeMilterResponse(answered)
                            continue
                        }
                    }
                    switch machine.receive(command) {
                    case .none:
                        break
                    case .send(let response):
                        output.writeMilterResponse(response)
                    case .abort(let reply):
                        await handler.abort(macros: machine.macros)
                        if let reply { output.writeMilterResponse(reply) }
                    case .deliver(let event, let abortFirst):
                        if abortFirst {
                            await handler.abort(macros: machine.macros)
                        }
                        if event == .endOfMessage {
                            if output.readableBytes > 0 {
                                try await transport.write(output)
                                output.clear()
                            }
                            try await endOfMessage(&handler, &machine, into: &output, transport: transport)
                        } else {
                            let verdict = await call(&handler, event, machine.macros)
                            let (response, dropped) = machine.completed(verdict)
                            if dropped {
                                logger.warning(
                                    "verdict dropped: the MTA was told not to wait for a reply to this event",
                                    metadata: ["milter.event": "\(event.kind.map { "\($0.rawValue)" } ?? "eom")", "milter.verdict": "\(verdict)"]
                                )
                            }
                            if let response {
                                output.writeMilterResponse(response)
                            }
                        }
                    case .close(let abortFirst):
                        if abortFirst {
                            await handler.abort(macros: machine.macros)
                        }
                        if output.readableBytes > 0 {
                            try await transport.write(output)
                        }
                        outcome = .quit
                        break reading
                    case .restart(let abortFirst):
                        if abortFirst {
                            await handler.abort(macros: machine.macros)
                        }
                        await handler.close()
                        handler = makeHandler(context)
                    case .violation(let error):
                        throw error
                    }
                }
                if output.readableBytes > 0 {
                    try await transport.write(output)
                    output.clear()
                } else {
                    transport.acknowledgeNow()
                }
                if pending.readableBytes == 0 {
                    pending = empty
                } else if pending.readerIndex > 1 << 16 {
                    pending.discardReadBytes()
                }
                if watchdog?.shutdownDue == true, machine.isBetweenMessages, pending.readableBytes == 0 {
                    outcome = .shutdown
                    break reading
                }
            }
        } catch let error as MilterProtocolError {
            outcome = .violation(error)
        } catch {
            if let reason = watchdog?.closedFor {
                outcome = reason == .shutdown ? .shutdown : .timedOut(reason)
            } else {
                outcome = .failed(error)
            }
        }
        if machine.messageOpen {
            await handler.abort(macros: machine.macros)
        }
        await handler.close()
        transport.finish()
        log(outcome)
        return outcome
    }

    /// End of message: the handler runs with a keep-alive timer; its modifications and the final
    /// reply go into `output` together.
    private func endOfMessage(
        _ handler: inout any MilterHandler,
        _ machine: inout MilterSessionStateMachine,
        into output: inout ByteBuffer,
        transport: any MilterTransport
    ) async throws {
        let modifier = MessageModifier(negotiated: machine.negotiated!) {
            var frame = ByteBuffer()
            frame.writeMilterResponse(.progress)
            try await transport.write(frame)
        }
        transport.beginSlowWork()
        var verdict: MilterVerdict
        do {
            verdict = try await handler.endOfMessage(modifier, macros: machine.macros)
        } catch {
            logger.error(
                "handler failed at end of message; answering \(settings.failureVerdict)",
                metadata: ["error": "\(error)", "mail.queue_id": "\(machine.macros.queueID ?? "-")"]
            )
            verdict = settings.failureVerdict
        }
        transport.endSlowWork()
        let pieces = modifier.finishPieces()
        let (response, _) = machine.completed(verdict)
        if verdict == .continue || verdict == .accept || verdict == .skip {
            for piece in pieces {
                switch piece {
                case .response(let modification):
                    output.writeMilterResponse(modification)
                case .body(let source):
                    try await streamBody(from: source, maximumPayload: machine.negotiated?.maximumPayload ?? 65_535, into: &output, transport: transport)
                }
            }
        }
        let answerActions = modifier.takeAnswerActions()
        guard !answerActions.isEmpty else {
            output.writeMilterResponse(response ?? .continue)
            return
        }
        // The handler's commit points, then the answer itself, back to back; a commit point
        // that fails turns the answer into tempfail (the MTA keeps the message).
        var answered = verdict
        var committed = true
        for action in answerActions where !action.commit(verdict) { committed = false }
        if !committed {
            answered = .tempfail
            logger.error("a commit point at the answer failed; answering tempfail", metadata: ["mail.queue_id": "\(machine.macros.queueID ?? "-")"])
            output.writeMilterResponse(MilterVerdict.tempfail.response)
        } else {
            output.writeMilterResponse(response ?? .continue)
        }
        do {
            try await transport.writeAndWait(output)
            output.clear()
        } catch {
            for action in answerActions { action.afterwards(nil) }
            throw error
        }
        for action in answerActions { action.afterwards(answered) }
    }

    /// Writes a streamed replacement body as `SMFIR_REPLBODY` packets, handing the transport a
    /// batch every 256 KiB (the transport waits while the MTA is not reading), so memory holds
    /// one batch, not the body.
    private func streamBody(
        from source: any ReplacementBodySource, maximumPayload: Int, into output: inout ByteBuffer, transport: any MilterTransport
    ) async throws {
        // Chunks are gathered into full packets (a source may hand out less than asked).
        var packet = ByteBuffer()
        while let chunk = try source.nextChunk(maximumLength: max(1, maximumPayload - packet.readableBytes)), chunk.readableBytes > 0 {
            var chunk = chunk
            packet.writeBuffer(&chunk)
            // (A source that hands out more than asked is cut to size.)
            while packet.readableBytes >= maximumPayload {
                output.writeMilterResponse(.replaceBody(packet.readSlice(length: maximumPayload)!))
            }
            packet.discardReadBytes()
            if output.readableBytes >= 256 << 10 {
                try await transport.write(output)
                output.clear()
            }
        }
        if packet.readableBytes > 0 { output.writeMilterResponse(.replaceBody(packet)) }
    }

    /// Delivers the data of an `SMFIC_BODYEOB` as a body chunk. Returns a response when the chunk's
    /// verdict already ends the message (then end of message itself is not delivered).
    private func deliverFinalChunk(
        _ chunk: ByteBuffer,
        _ handler: inout any MilterHandler,
        _ machine: inout MilterSessionStateMachine
    ) async throws -> MilterResponse? {
        switch machine.receive(.body(chunk)) {
        case .deliver(let event, _):
            let verdict = await call(&handler, event, machine.macros)
            _ = machine.completed(verdict)
            switch verdict {
            case .continue, .skip: return nil
            default: return verdict.response
            }
        case .violation(let error):
            throw error
        default:
            return nil
        }
    }

    private func call(
        _ handler: inout any MilterHandler,
        _ event: MilterSessionStateMachine.Event,
        _ macros: MilterMacros
    ) async -> MilterVerdict {
        do {
            switch event {
            case .connect(let info): return try await handler.connect(info, macros: macros)
            case .helo(let name): return try await handler.helo(name, macros: macros)
            case .envelopeFrom(let sender): return try await handler.envelopeFrom(sender, macros: macros)
            case .envelopeRecipient(let recipient): return try await handler.envelopeRecipient(recipient, macros: macros)
            case .data: return try await handler.data(macros: macros)
            case .header(let field): return try await handler.header(field, macros: macros)
            case .endOfHeaders: return try await handler.endOfHeaders(macros: macros)
            case .body(let chunk): return try await handler.bodyChunk(chunk, macros: macros)
            case .unknown(let line): return try await handler.unknown(line, macros: macros)
            case .endOfMessage: preconditionFailure("end of message is delivered by endOfMessage(_:_:into:transport:)")
            }
        } catch {
            logger.error(
                "handler failed; answering \(settings.failureVerdict)",
                metadata: ["error": "\(error)", "mail.queue_id": "\(macros.queueID ?? "-")"]
            )
            return settings.failureVerdict
        }
    }

    private func log(_ outcome: Outcome) {
        switch outcome {
        case .quit, .endOfStream:
            logger.debug("milter connection closed")
        case .shutdown:
            logger.debug("milter connection closed for shutdown")
        case .timedOut(.idleTimeout(let limit)):
            logger.warning("closing milter connection: idle timeout, no command for \(limit.seconds) s")
        case .timedOut(.readTimeout(let limit)):
            logger.warning("closing milter connection: read timeout, frame incomplete after \(limit.seconds) s")
        case .timedOut(.shutdown):
            logger.debug("milter connection closed for shutdown")
        case .violation(let error):
            logger.warning("closing milter connection: \(error)")
        case .failed(let error):
            logger.warning("closing milter connection: I/O error: \(error)")
        }
    }
}

extension TimeAmount {
    /// Whole seconds, for log lines.
    var seconds: Int64 { nanoseconds / 1_000_000_000 }
}

import Logging
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import Synchronization

/// The I/O shell of one SMTP connection: writes commands and message blocks, reads replies, puts
/// TLS on the connection, and enforces the per-phase deadline by closing the channel when it passes.
///
/// The pipeline is ``StartTLSGuard`` (raw bytes), the reply decoder, and the async channel; TLS
/// goes right behind the guard. Not `Sendable`: it lives inside one
/// ``SMTPClient/withSession(to:_:)`` call, in one task.
final class SMTPConnection {
    private let channel: any Channel
    private var inbound: NIOAsyncChannelInboundStream<SMTPResponse>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    private let timeouts: SMTPTimeouts
    /// Replies read so far (the guard compares it with the replies it has seen).
    private var repliesRead = 0
    /// What the STARTTLS guard found, if it stopped the connection.
    private let verdict: StartTLSVerdict
    let logger: Logger

    private init(
        channel: any Channel,
        inbound: NIOAsyncChannelInboundStream<SMTPResponse>,
        outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>,
        timeouts: SMTPTimeouts,
        verdict: StartTLSVerdict,
        logger: Logger
    ) {
        self.verdict = verdict
        self.channel = channel
        self.inbound = inbound.makeAsyncIterator()
        self.outbound = outbound
        self.timeouts = timeouts
        self.logger = logger
    }

    /// Connects to `relay`, runs `body` with the connection, and closes it.
    /// - Throws: ``SMTPClientError`` with ``SMTPClientError/Code/connectionFailed`` when the
    ///   connection cannot be opened; whatever `body` throws.
    static func withConnection<Result>(
        to relay: SMTPRelay,
        timeouts: SMTPTimeouts,
        group: any EventLoopGroup,
        logger: Logger,
        _ body: (SMTPConnection) async throws -> Result
    ) async throws -> Result {
        let channel: NIOAsyncChannel<SMTPResponse, ByteBuffer>
        let verdict = StartTLSVerdict()
        do {
            channel = try await ClientBootstrap(group: group)
                .connectTimeout(TimeAmount(timeouts.connect))
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .connect(host: relay.host, port: relay.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(StartTLSGuard(verdict: verdict))
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(SMTPResponseDecoder()))
                        return try NIOAsyncChannel<SMTPResponse, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw SMTPClientError(.connectionFailed, phase: .connect, isTransient: true, detail: "\(relay.address): \(error)")
        }
        return try await channel.executeThenClose { inbound, outbound in
            let connection = SMTPConnection(
                channel: channel.channel, inbound: inbound, outbound: outbound, timeouts: timeouts, verdict: verdict, logger: logger
            )
            return try await body(connection)
        }
    }

    /// Reads the next reply within the phase's limit.
    func read(in phase: SMTPPhase) async throws(SMTPClientError) -> SMTPResponse {
        let response: SMTPResponse
        do {
            response = try await withDeadline(phase) { () async throws -> SMTPResponse in
                guard let response = try await self.inbound.next() else {
                    throw SMTPClientError(.connectionClosed, phase: phase, isTransient: true, detail: "the server closed the connection")
                }
                return response
            }
        } catch {
            throw verdict.violation ?? error
        }
        repliesRead += 1
        logger.trace("smtp reply", metadata: ["smtp.reply": "\(response)"])
        return response
    }

    /// Writes commands in one write.
    func send(_ commands: [SMTPCommand], in phase: SMTPPhase) async throws(SMTPClientError) {
        guard !commands.isEmpty else { return }
        var buffer = ByteBuffer()
        for command in commands {
            buffer.writeSMTPCommand(command)
            logger.trace("smtp command", metadata: ["smtp.command": "\(command)"])
        }
        try await write(buffer, in: phase)
    }

    /// Writes bytes; returns once the channel has taken them (it waits while the socket is full).
    func write(_ buffer: ByteBuffer, in phase: SMTPPhase) async throws(SMTPClientError) {
        try await withDeadline(phase) { try await self.outbound.write(buffer) }
    }

    /// Arms the STARTTLS guard: call right before writing STARTTLS. From the end of the next reply
    /// on, any plaintext byte is fatal (see ``StartTLSGuard``).
    /// - Throws: ``SMTPClientError/Code/protocolViolation`` when a reply nobody asked for is
    ///   already waiting.
    func prepareStartTLS() async throws(SMTPClientError) {
        let channel = self.channel
        let repliesRead = self.repliesRead
        do {
            try await channel.eventLoop.submit {
                let guardHandler = try channel.pipeline.syncOperations.handler(type: StartTLSGuard.self)
                let context = try channel.pipeline.syncOperations.context(handler: guardHandler)
                try guardHandler.armForReply(repliesRead: repliesRead, context: context)
            }.get()
        } catch {
            throw verdict.violation ?? Self.map(error, in: .startTLS)
        }
    }

    /// Puts TLS right behind the STARTTLS guard, in the same event-loop task that checks the
    /// guard, and waits for the handshake (within the STARTTLS limit).
    /// - Throws: ``SMTPClientError/Code/protocolViolation`` when plaintext followed the STARTTLS
    ///   reply; ``SMTPClientError/Code/tlsFailed`` with swift-nio-ssl's reason (certificate
    ///   verification, host name, protocol); ``SMTPClientError/Code/connectionClosed`` or
    ///   ``SMTPClientError/Code/timeout`` when the handshake did not finish.
    func startTLS(context tlsContext: NIOSSLContext, serverName: String?) async throws(SMTPClientError) {
        let channel = self.channel
        let repliesRead = self.repliesRead
        let handshake: EventLoopFuture<Void>
        do {
            handshake = try await channel.eventLoop.submit {
                let operations = channel.pipeline.syncOperations
                let guardHandler = try operations.handler(type: StartTLSGuard.self)
                let guardContext = try operations.context(handler: guardHandler)
                // Checked and switched in the task that adds the handler: no read comes between.
                try guardHandler.startTLS(repliesRead: repliesRead, context: guardContext)
                let tls = try NIOSSLClientHandler(context: tlsContext, serverHostname: serverName)
                let waiter = TLSHandshakeWaiter(promise: channel.eventLoop.makePromise())
                try operations.addHandler(tls, position: .after(guardHandler))
                try operations.addHandler(waiter, position: .after(tls))
                return waiter.promise.futureResult
            }.get()
        } catch {
            throw verdict.violation ?? Self.handshakeError(Self.map(error, in: .startTLS))
        }
        do {
            try await withDeadline(.startTLS) { try await handshake.get() }
        } catch {
            throw verdict.violation ?? Self.handshakeError(error)
        }
    }

    /// A handshake failure keeps its code when it is a violation, a timeout or a lost connection;
    /// anything else is the TLS layer's and becomes ``SMTPClientError/Code/tlsFailed``.
    private static func handshakeError(_ error: SMTPClientError) -> SMTPClientError {
        switch error.code {
        case .protocolViolation, .timeout, .connectionClosed, .tlsFailed:
            return SMTPClientError(error.code, phase: .startTLS, response: error.response, isTransient: true, detail: error.detail)
        default:
            return SMTPClientError(.tlsFailed, phase: .startTLS, isTransient: true, detail: error.detail)
        }
    }

    /// Closes the channel now (a broken session, or a message that cannot be finished).
    func abort() {
        channel.close(promise: nil)
    }

    /// Runs `body`; when the phase's limit passes first, closes the channel and throws a timeout.
    private func withDeadline<T>(_ phase: SMTPPhase, _ body: () async throws -> T) async throws(SMTPClientError) -> T {
        let limit = timeouts.limit(for: phase)
        let expired = ExpiryFlag()
        let channel = self.channel
        let timer = channel.eventLoop.scheduleTask(in: TimeAmount(limit)) {
            expired.set()
            channel.close(promise: nil)
        }
        defer { timer.cancel() }
        do {
            return try await body()
        } catch {
            if expired.isSet {
                throw SMTPClientError(.timeout, phase: phase, isTransient: true, detail: "no progress within \(limit)")
            }
            throw Self.map(error, in: phase)
        }
    }

    private static func map(_ error: any Error, in phase: SMTPPhase) -> SMTPClientError {
        switch error {
        case let error as SMTPClientError:
            return error
        case let error as SMTPResponseError:
            return SMTPClientError(.protocolViolation, phase: phase, isTransient: true, detail: error.description)
        case ChannelError.ioOnClosedChannel, ChannelError.alreadyClosed, ChannelError.eof, is ChannelPipelineError:
            return SMTPClientError(.connectionClosed, phase: phase, isTransient: true, detail: "the connection is closed (\(error))")
        case is NIOSSLError, is NIOSSLExtraError, is BoringSSLError:
            return SMTPClientError(.tlsFailed, phase: phase, isTransient: true, detail: "\(error)")
        default:
            return SMTPClientError(.connectionClosed, phase: phase, isTransient: true, detail: "\(error)")
        }
    }
}

/// Set once by the deadline timer (on the event loop), read by the task that waited.
private final class ExpiryFlag: Sendable {
    private let state = Mutex(false)

    func set() { state.withLock { $0 = true } }
    var isSet: Bool { state.withLock { $0 } }
}

/// Completes its promise when the TLS handshake is done, fails it when the handshake fails or the
/// connection closes first. Passes everything on.
private final class TLSHandshakeWaiter: ChannelInboundHandler {
    typealias InboundIn = NIOAny

    let promise: EventLoopPromise<Void>

    init(promise: EventLoopPromise<Void>) {
        self.promise = promise
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let tlsEvent = event as? TLSUserEvent, case .handshakeCompleted = tlsEvent { promise.succeed() }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        promise.fail(error)
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(SMTPClientError(.connectionClosed, phase: .startTLS, isTransient: true, detail: "closed during the TLS handshake"))
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        promise.fail(SMTPClientError(.connectionClosed, phase: .startTLS, isTransient: true, detail: "closed during the TLS handshake"))
    }
}

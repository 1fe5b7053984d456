import EventLoopExecutors
import Logging
import NIOCore
import NIOPosix
import NIOSSL

/// An SMTP client on SwiftNIO: opens a session to a relay, sends messages over it, and closes it.
///
/// ```swift
/// let client = try SMTPClient(configuration: .init(heloName: "gateway.example.net"), logger: logger)
/// let relay = try SMTPRelay(parsing: "mx.example.org:25", tls: .init(mode: .required))
/// let results = try await client.withSession(to: relay) { session in
///     try await session.send(OutboundMessage(sender: from, recipients: [to], bytes: bytes))
/// }
/// ```
///
/// A session says EHLO (HELO when refused), uses STARTTLS as the relay's ``SMTPTLSSettings`` ask,
/// authenticates when credentials are configured, and ends with QUIT. Each message goes through
/// ``SMTPSession/send(_:)``, which returns a result per recipient.
public struct SMTPClient: Sendable {
    /// The validated configuration.
    public let configuration: SMTPClientConfiguration
    private let eventLoopGroup: any EventLoopGroup
    private let logger: Logger
    /// One TLS context per certificate check, built on first use.
    let tlsContexts = TLSContextCache()

    /// Creates a client.
    /// - Throws: ``SMTPConfigurationError`` when the configuration is invalid.
    public init(
        configuration: SMTPClientConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger
    ) throws(SMTPConfigurationError) {
        try configuration.validate()
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
    }

    /// Opens a session to `relay`, runs `body` with it, sends QUIT and closes the connection.
    ///
    /// With ``StartTLSMode/opportunistic``, a handshake that fails at the protocol level (TLS
    /// error, connection closed, or timeout during STARTTLS and the handshake) is retried once on
    /// a new plaintext connection, logged as a warning. Nothing else falls back to plaintext.
    /// - Throws: ``SMTPClientError`` when the session cannot be opened (TLS configuration,
    ///   connection, greeting, EHLO, TLS, AUTH); whatever `body` throws.
    public func withSession<Result>(to relay: SMTPRelay, _ body: (SMTPSession) async throws -> Result) async throws -> Result {
        // Before connecting: a TLS configuration error is reported as such, never a downgrade.
        let tlsContext = relay.tls.mode == .none ? nil : try await tlsContexts.context(for: relay.tls)
        do {
            return try await open(relay, tlsContext: tlsContext, body)
        } catch let failure as HandshakeFailure {
            guard relay.tls.mode == .opportunistic, failure.error.allowsPlaintextRetry else { throw failure.error }
            logger.warning(
                "TLS handshake failed; retrying without TLS (opportunistic)",
                metadata: ["smtp.relay": "\(relay.address)", "error": "\(failure.error)"]
            )
            var plaintext = relay
            plaintext.tls.mode = .none
            do {
                return try await open(plaintext, tlsContext: nil, body)
            } catch let failure as HandshakeFailure {
                throw failure.error
            }
        }
    }

    /// A failure before `body` ran: only then may the session be tried again without TLS.
    private struct HandshakeFailure: Error {
        var error: SMTPClientError
    }

    private func open<Result>(
        _ relay: SMTPRelay,
        tlsContext: NIOSSLContext?,
        _ body: (SMTPSession) async throws -> Result
    ) async throws -> Result {
        var logger = self.logger
        logger[metadataKey: "smtp.relay"] = "\(relay.address)"
        // The handshake and each message run on the channel's event loop (a reply resumes them
        // without crossing threads: a delivery is several round trips); the caller's body does
        // not — whatever it does between messages must not hold up the loop's other channels.
        let loop = eventLoopGroup.next()
        return try await session(relay, tlsContext: tlsContext, loop: loop, executor: EventLoopTaskExecutor(eventLoop: loop), logger: logger, body)
    }

    private func session<Result>(
        _ relay: SMTPRelay,
        tlsContext: NIOSSLContext?,
        loop: any EventLoop,
        executor: EventLoopTaskExecutor,
        logger: Logger,
        _ body: (SMTPSession) async throws -> Result
    ) async throws -> Result {
        try await SMTPConnection.withConnection(to: relay, timeouts: configuration.timeouts, group: loop, logger: logger) {
            connection in
            let capabilities: SMTPCapabilities
            let encrypted: Bool
            do throws(SMTPClientError) {
                (capabilities, encrypted) = try await withTaskExecutorPreference(executor) { () async throws(SMTPClientError) in
                    try await handshake(connection, relay: relay, tlsContext: tlsContext)
                }
            } catch {
                throw HandshakeFailure(error: error)
            }
            let session = SMTPSession(connection: connection, relay: relay, capabilities: capabilities, isEncrypted: encrypted,
                                      chunkSize: configuration.chunkSize, executor: executor)
            let result = try await body(session)
            await session.quit()
            return result
        }
    }

    private func handshake(
        _ connection: SMTPConnection,
        relay: SMTPRelay,
        tlsContext: NIOSSLContext?
    ) async throws(SMTPClientError) -> (SMTPCapabilities, Bool) {
        var machine = SMTPHandshakeStateMachine(
            heloName: configuration.heloName,
            startTLS: relay.tls.mode,
            credentials: try credentials(for: relay),
            allowsPlaintextAuthentication: configuration.allowsPlaintextAuthentication
        )
        var response = try await connection.read(in: .greeting)
        while true {
            var action = machine.receive(response)
            if case .startTLS = action {
                guard let tlsContext else {
                    throw SMTPClientError(.tlsConfiguration, phase: .startTLS, isTransient: true, detail: "no TLS context")
                }
                try await connection.startTLS(context: tlsContext, serverName: relay.tls.sniName(for: relay.host))
                action = machine.tlsEstablished()
            }
            switch action {
            case .send(let command):
                if command == .startTLS { try await connection.prepareStartTLS() }
                try await connection.send([command], in: machine.phase)
                response = try await connection.read(in: machine.phase)
            case .ready(let capabilities):
                connection.logger.debug("smtp session ready", metadata: [
                    "smtp.tls": "\(machine.isEncrypted)",
                    "smtp.extensions": "\(capabilities.keywords.keys.sorted().joined(separator: ","))",
                ])
                return (capabilities, machine.isEncrypted)
            case .fail(let error):
                if error.code != .tlsFailed { await SMTPSession.sendQuit(connection) }
                throw error
            case .startTLS:
                throw SMTPClientError(.protocolViolation, phase: .startTLS, isTransient: true, detail: "STARTTLS twice")
            }
        }
    }
}

extension SMTPClient {
    /// The credentials a session to `relay` authenticates with: the ones it names, else the
    /// client's own.
    /// - Throws: ``SMTPClientError`` (transient, in ``SMTPPhase/authentication``) when the relay
    ///   names credentials the configuration does not have.
    func credentials(for relay: SMTPRelay) throws(SMTPClientError) -> SMTPCredentials? {
        guard let name = relay.credentials else { return configuration.credentials }
        guard let named = configuration.namedCredentials[name] else {
            throw SMTPClientError(.authenticationFailed, phase: .authentication, isTransient: true, detail: "no credentials named \"\(name)\" are configured")
        }
        return named
    }
}

extension SMTPClientError {
    /// Whether an opportunistic session may try again in plaintext: the TLS handshake failed at
    /// the protocol level (a TLS error, the connection closed, a timeout) while STARTTLS and the
    /// handshake ran. Not a configuration error, and not plaintext injected after the reply.
    var allowsPlaintextRetry: Bool {
        phase == .startTLS && (code == .tlsFailed || code == .connectionClosed || code == .timeout)
    }
}

import Foundation

/// The rules for opening a session, from the greeting to the first MAIL FROM: EHLO (HELO when
/// the server refuses EHLO), STARTTLS as the ``StartTLSMode`` asks, EHLO again over TLS, then AUTH
/// PLAIN or LOGIN when credentials are configured.
///
/// A refusal of the greeting, EHLO/HELO or EHLO after TLS fails the session transiently whatever
/// its code (``SMTPClientError/refusedSession(_:in:)``): it is about this server now, not about the
/// recipients.
///
/// Pure: feed it each reply (and ``tlsEstablished()`` once the shell has done the handshake), and
/// carry out the ``Action`` it returns. It never touches a socket.
public struct SMTPHandshakeStateMachine: Sendable {
    /// What the shell must do next.
    public enum Action: Hashable, Sendable {
        /// Send this command and feed the reply to ``receive(_:)``.
        case send(SMTPCommand)
        /// Put TLS on the connection, then call ``tlsEstablished()``.
        case startTLS
        /// The session is ready for mail, with these capabilities.
        case ready(SMTPCapabilities)
        /// The session cannot be used; send QUIT if the connection is fine and close it.
        case fail(SMTPClientError)
    }

    private enum State: Hashable, Sendable {
        case greeting
        case ehlo(encrypted: Bool)
        case helo
        case startTLS(SMTPCapabilities)
        case tlsHandshake
        case authPlain(SMTPCapabilities)
        case authLoginUsername(SMTPCapabilities)
        case authLoginPassword(SMTPCapabilities)
        case authLoginDone(SMTPCapabilities)
        case ready
        case failed
    }

    private let heloName: String
    private let startTLSMode: StartTLSMode
    private let credentials: SMTPCredentials?
    private let allowsPlaintextAuthentication: Bool
    private var state = State.greeting
    /// Whether TLS was established.
    public private(set) var isEncrypted = false

    /// Creates the machine for one connection; the first event is the greeting.
    public init(heloName: String, startTLS: StartTLSMode, credentials: SMTPCredentials?, allowsPlaintextAuthentication: Bool) {
        self.heloName = heloName
        self.startTLSMode = startTLS
        self.credentials = credentials
        self.allowsPlaintextAuthentication = allowsPlaintextAuthentication
    }

    /// The phase the next reply belongs to (for its timeout).
    public var phase: SMTPPhase {
        switch state {
        case .greeting: .greeting
        case .ehlo, .helo: .hello
        case .startTLS, .tlsHandshake: .startTLS
        case .authPlain, .authLoginUsername, .authLoginPassword, .authLoginDone: .authentication
        case .ready, .failed: .mail
        }
    }

    /// Feeds a reply.
    public mutating func receive(_ response: SMTPResponse) -> Action {
        switch state {
        case .greeting:
            guard response.code == 220 else {
                return fail(response.code >= 400 ? .refusedSession(response, in: .greeting) : .unexpected(response, in: .greeting, expected: "220"))
            }
            state = .ehlo(encrypted: false)
            return .send(.ehlo(heloName))

        case .ehlo(let encrypted):
            if response.code == 250 { return afterHello(SMTPCapabilities(ehloResponse: response)) }
            if response.isPermanentFailure, !encrypted {
                state = .helo
                return .send(.helo(heloName))
            }
            return fail(response.code >= 400 ? .refusedSession(response, in: .hello) : .unexpected(response, in: .hello, expected: "250"))

        case .helo:
            guard response.code == 250 else {
                return fail(response.code >= 400 ? .refusedSession(response, in: .hello) : .unexpected(response, in: .hello, expected: "250"))
            }
            return afterHello(.none)

        case .startTLS(let capabilities):
            if response.code == 220 {
                state = .tlsHandshake
                return .startTLS
            }
            guard startTLSMode != .required else {
                return fail(SMTPClientError(.tlsUnavailable, phase: .startTLS, response: response, isTransient: true, detail: "STARTTLS refused"))
            }
            return authenticate(capabilities)

        case .authPlain(let capabilities), .authLoginDone(let capabilities):
            guard response.code == 235 else { return authenticationRefused(response) }
            return ready(capabilities)

        case .authLoginUsername(let capabilities):
            guard response.code == 334, let credentials else { return authenticationRefused(response) }
            state = .authLoginPassword(capabilities)
            return .send(.authenticationResponse(Self.base64(credentials.username)))

        case .authLoginPassword(let capabilities):
            guard response.code == 334, let credentials else { return authenticationRefused(response) }
            state = .authLoginDone(capabilities)
            return .send(.authenticationResponse(Self.base64(credentials.password)))

        case .tlsHandshake, .ready, .failed:
            return fail(.unexpected(response, in: phase, expected: "no reply"))
        }
    }

    /// The TLS handshake succeeded: say EHLO again (RFC 3207 §4.2: forget what was learned before).
    public mutating func tlsEstablished() -> Action {
        guard state == .tlsHandshake else {
            return fail(SMTPClientError(.protocolViolation, phase: .startTLS, isTransient: true, detail: "TLS established out of order"))
        }
        isEncrypted = true
        state = .ehlo(encrypted: true)
        return .send(.ehlo(heloName))
    }

    private mutating func afterHello(_ capabilities: SMTPCapabilities) -> Action {
        if !isEncrypted, startTLSMode != .none {
            if capabilities.startTLS {
                state = .startTLS(capabilities)
                return .send(.startTLS)
            }
            if startTLSMode == .required {
                return fail(SMTPClientError(.tlsUnavailable, phase: .startTLS, isTransient: true, detail: "the server does not offer STARTTLS"))
            }
        }
        return authenticate(capabilities)
    }

    private mutating func authenticate(_ capabilities: SMTPCapabilities) -> Action {
        guard let credentials else { return ready(capabilities) }
        guard isEncrypted || allowsPlaintextAuthentication else {
            return fail(SMTPClientError(.authenticationRequiresTLS, phase: .authentication, isTransient: true,
                                        detail: "credentials are not sent over an unencrypted connection"))
        }
        let mechanisms = capabilities.authenticationMechanisms
        if mechanisms.contains("PLAIN") {
            state = .authPlain(capabilities)
            let token = Self.base64("\u{0}\(credentials.username)\u{0}\(credentials.password)")
            return .send(.authenticate(mechanism: "PLAIN", initialResponse: token))
        }
        if mechanisms.contains("LOGIN") {
            state = .authLoginUsername(capabilities)
            return .send(.authenticate(mechanism: "LOGIN", initialResponse: nil))
        }
        return fail(SMTPClientError(.authenticationUnavailable, phase: .authentication, isTransient: true,
                                    detail: "offered: \(mechanisms.sorted().joined(separator: " ").nilIfEmpty ?? "none")"))
    }

    private mutating func authenticationRefused(_ response: SMTPResponse) -> Action {
        fail(SMTPClientError(.authenticationFailed, phase: .authentication, response: response, isTransient: true))
    }

    private mutating func ready(_ capabilities: SMTPCapabilities) -> Action {
        state = .ready
        return .ready(capabilities)
    }

    private mutating func fail(_ error: SMTPClientError) -> Action {
        state = .failed
        return .fail(error)
    }

    private static func base64(_ text: String) -> String {
        Data(text.utf8).base64EncodedString()
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}

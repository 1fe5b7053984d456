/// Why the client could not deliver to a recipient, or could not go on with a session.
///
/// It carries the server's reply when there was one, and says whether trying again later may
/// help (``isTransient``): a 4xx reply, a refusal of the whole session (a 4xx or 5xx greeting,
/// EHLO/HELO or RSET reply), a timeout, a lost connection, TLS or authentication that could not
/// be set up are transient; a 5xx reply to MAIL, RCPT, DATA or the message, or a message the
/// server cannot take (too big, 8-bit content or a non-ASCII address without the extension) is
/// permanent.
public struct SMTPClientError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case connectionFailed = "connection failed"
            case connectionClosed = "connection closed"
            case timeout = "timeout"
            case protocolViolation = "protocol violation"
            case rejected = "rejected"
            case tlsUnavailable = "TLS unavailable"
            case tlsFailed = "TLS failed"
            case tlsConfiguration = "TLS configuration invalid"
            case authenticationUnavailable = "authentication unavailable"
            case authenticationRequiresTLS = "authentication requires TLS"
            case authenticationFailed = "authentication failed"
            case messageTooLarge = "message too large"
            case eightBitUnsupported = "8-bit content not supported"
            case smtpUTF8Unsupported = "SMTPUTF8 not supported"
            case messageUnreadable = "message unreadable"
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The TCP connection could not be opened.
        public static let connectionFailed = Code(.connectionFailed)
        /// The server closed the connection, or it broke, before the phase was done.
        public static let connectionClosed = Code(.connectionClosed)
        /// A phase exceeded its ``SMTPTimeouts`` limit.
        public static let timeout = Code(.timeout)
        /// The server sent something the protocol does not allow (garbage, an unexpected code,
        /// data behind the STARTTLS reply).
        public static let protocolViolation = Code(.protocolViolation)
        /// The server refused with a 4xx or 5xx reply (see ``SMTPClientError/response``).
        public static let rejected = Code(.rejected)
        /// TLS is required but the server does not offer STARTTLS or refused it.
        public static let tlsUnavailable = Code(.tlsUnavailable)
        /// The TLS handshake failed (certificate verification, protocol mismatch).
        public static let tlsFailed = Code(.tlsFailed)
        /// TLS cannot be set up with the relay's settings (the trust roots cannot be read); no
        /// connection is made. Transient: a configuration problem should not bounce mail.
        public static let tlsConfiguration = Code(.tlsConfiguration)
        /// Credentials are configured but the server offers no mechanism the client knows (PLAIN, LOGIN).
        public static let authenticationUnavailable = Code(.authenticationUnavailable)
        /// Credentials are configured, the session is not encrypted, and plaintext AUTH is not allowed.
        public static let authenticationRequiresTLS = Code(.authenticationRequiresTLS)
        /// The server refused the credentials.
        public static let authenticationFailed = Code(.authenticationFailed)
        /// The message is larger than the server's SIZE limit.
        public static let messageTooLarge = Code(.messageTooLarge)
        /// The message has 8-bit bytes and the server does not offer 8BITMIME.
        public static let eightBitUnsupported = Code(.eightBitUnsupported)
        /// An address is not ASCII and the server does not offer SMTPUTF8.
        public static let smtpUTF8Unsupported = Code(.smtpUTF8Unsupported)
        /// The message file could not be read.
        public static let messageUnreadable = Code(.messageUnreadable)

        public var description: String { base.rawValue }
    }

    /// The kind of failure.
    public var code: Code
    /// The phase it happened in.
    public var phase: SMTPPhase
    /// The server's reply, when the failure is a reply.
    public var response: SMTPResponse?
    /// Whether a later attempt may succeed.
    public var isTransient: Bool
    /// More detail (the underlying error, what was expected); never message content or secrets.
    public var detail: String

    /// Creates an error.
    public init(_ code: Code, phase: SMTPPhase, response: SMTPResponse? = nil, isTransient: Bool, detail: String = "") {
        self.code = code
        self.phase = phase
        self.response = response
        self.isTransient = isTransient
        self.detail = detail
    }

    /// A refusal by `response`: transient for 4xx, permanent otherwise.
    public static func rejected(_ response: SMTPResponse, in phase: SMTPPhase) -> SMTPClientError {
        SMTPClientError(.rejected, phase: phase, response: response, isTransient: response.isTransientFailure)
    }

    /// A refusal of the session as a whole (the greeting, EHLO/HELO, RSET): transient whatever
    /// the code, because it says nothing about the message or its recipients (Postfix's
    /// `smtp_skip_5xx_greeting`). The reply is kept.
    public static func refusedSession(_ response: SMTPResponse, in phase: SMTPPhase) -> SMTPClientError {
        SMTPClientError(.rejected, phase: phase, response: response, isTransient: true, detail: "session refused")
    }

    /// An unexpected reply: transient, the session cannot go on.
    public static func unexpected(_ response: SMTPResponse, in phase: SMTPPhase, expected: String) -> SMTPClientError {
        SMTPClientError(.protocolViolation, phase: phase, response: response, isTransient: true, detail: "expected \(expected)")
    }

    /// The enhanced status code for reports: the server's, else one that fits the failure.
    public var enhancedCode: EnhancedStatusCode {
        if let code = response?.enhancedCode { return code }
        if let response {
            return EnhancedStatusCode(statusClass: response.code / 100 == 4 ? 4 : 5, subject: 0, detail: 0)
                ?? .permanentUndefined
        }
        switch code {
        case .connectionFailed: return .noAnswer
        case .connectionClosed, .timeout: return .badConnection
        case .protocolViolation: return .protocolError
        case .tlsUnavailable, .tlsFailed, .tlsConfiguration, .authenticationUnavailable, .authenticationRequiresTLS, .authenticationFailed:
            return .securityTransient
        case .messageTooLarge: return .messageTooBig
        case .eightBitUnsupported: return .conversionNotSupported
        case .smtpUTF8Unsupported: return .nonASCIIAddressNotPermitted
        default: return isTransient ? .transientUndefined : .permanentUndefined
        }
    }

    /// `rejected in RCPT TO: 550 5.1.1 <x@example.org>: Recipient address rejected`, on one line
    /// (control characters replaced: it goes to `queue list` and delivery reports).
    public var description: String {
        var out = "\(code) in \(phase)"
        if let response { out += ": \(response)" }
        if !detail.isEmpty { out += response == nil ? ": \(detail)" : " (\(detail))" }
        return out.withoutControlCharacters
    }
}

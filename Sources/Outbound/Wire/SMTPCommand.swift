import NIOCore

/// A command the client sends (RFC 5321 §4.1 and the extensions it uses).
public enum SMTPCommand: Hashable, Sendable, CustomStringConvertible {
    /// `EHLO name`.
    case ehlo(String)
    /// `HELO name`, when the server refuses EHLO.
    case helo(String)
    /// `STARTTLS` (RFC 3207).
    case startTLS
    /// `AUTH mechanism [initial-response]` (RFC 4954); the response is base64 already.
    case authenticate(mechanism: String, initialResponse: String?)
    /// A base64 line answering a `334` challenge.
    case authenticationResponse(String)
    /// `MAIL FROM:<sender> [SIZE=n] [BODY=8BITMIME] [SMTPUTF8]`.
    case mail(from: SMTPAddress, parameters: MailParameters)
    /// `RCPT TO:<recipient>`.
    case recipient(SMTPAddress)
    /// `DATA`.
    case data
    /// `RSET`.
    case reset
    /// `NOOP`.
    case noop
    /// `QUIT`.
    case quit

    /// The ESMTP parameters of `MAIL FROM`.
    public struct MailParameters: Hashable, Sendable {
        /// `SIZE=n` (RFC 1870), when the server offers SIZE.
        public var size: Int?
        /// `BODY=8BITMIME` (RFC 6152).
        public var eightBitMIME: Bool
        /// `SMTPUTF8` (RFC 6531).
        public var smtpUTF8: Bool

        /// Creates parameters; all off by default.
        public init(size: Int? = nil, eightBitMIME: Bool = false, smtpUTF8: Bool = false) {
            self.size = size
            self.eightBitMIME = eightBitMIME
            self.smtpUTF8 = smtpUTF8
        }
    }

    /// The command line without CRLF.
    public var line: String {
        switch self {
        case .ehlo(let name): return "EHLO \(name)"
        case .helo(let name): return "HELO \(name)"
        case .startTLS: return "STARTTLS"
        case .authenticate(let mechanism, let initial?): return "AUTH \(mechanism) \(initial)"
        case .authenticate(let mechanism, nil): return "AUTH \(mechanism)"
        case .authenticationResponse(let text): return text
        case .mail(let from, let parameters):
            var line = "MAIL FROM:\(from.bracketed)"
            if let size = parameters.size { line += " SIZE=\(size)" }
            if parameters.eightBitMIME { line += " BODY=8BITMIME" }
            if parameters.smtpUTF8 { line += " SMTPUTF8" }
            return line
        case .recipient(let address): return "RCPT TO:\(address.bracketed)"
        case .data: return "DATA"
        case .reset: return "RSET"
        case .noop: return "NOOP"
        case .quit: return "QUIT"
        }
    }

    /// The line as logs may show it: AUTH secrets are replaced by `***`.
    public var description: String {
        switch self {
        case .authenticate(let mechanism, .some): "AUTH \(mechanism) ***"
        case .authenticationResponse: "***"
        default: line
        }
    }

    /// The name used for the phase and in errors: `MAIL`, `RCPT`, `AUTH`.
    public var verb: String {
        switch self {
        case .ehlo: "EHLO"
        case .helo: "HELO"
        case .startTLS: "STARTTLS"
        case .authenticate, .authenticationResponse: "AUTH"
        case .mail: "MAIL"
        case .recipient: "RCPT"
        case .data: "DATA"
        case .reset: "RSET"
        case .noop: "NOOP"
        case .quit: "QUIT"
        }
    }
}

extension ByteBuffer {
    /// Writes the command line and CRLF; returns the number of bytes written.
    @discardableResult
    public mutating func writeSMTPCommand(_ command: SMTPCommand) -> Int {
        writeString(command.line) + writeString("\r\n")
    }
}

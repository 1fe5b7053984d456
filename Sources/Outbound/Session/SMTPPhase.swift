/// A step of an SMTP session, each with its own timeout (``SMTPTimeouts``) and named in errors.
public enum SMTPPhase: String, Hashable, Sendable, Codable, CustomStringConvertible {
    /// Opening the TCP connection.
    case connect
    /// Waiting for the 220 greeting.
    case greeting
    /// EHLO or HELO.
    case hello
    /// STARTTLS and the TLS handshake.
    case startTLS
    /// AUTH and its challenges.
    case authentication
    /// MAIL FROM.
    case mail
    /// RCPT TO.
    case recipient
    /// DATA, until 354.
    case dataCommand
    /// Writing the message (each block must be taken within the timeout).
    case dataBlock
    /// After the final `.`, until the server's verdict.
    case endOfData
    /// RSET between messages.
    case reset
    /// QUIT.
    case quit

    public var description: String {
        switch self {
        case .connect: "connect"
        case .greeting: "greeting"
        case .hello: "EHLO/HELO"
        case .startTLS: "STARTTLS"
        case .authentication: "AUTH"
        case .mail: "MAIL FROM"
        case .recipient: "RCPT TO"
        case .dataCommand: "DATA"
        case .dataBlock: "message data"
        case .endOfData: "end of data"
        case .reset: "RSET"
        case .quit: "QUIT"
        }
    }
}

/// How long each phase may take (RFC 5321 §4.5.3.2 minimums by default).
public struct SMTPTimeouts: Hashable, Sendable {
    /// TCP connect (not in the RFC): 30 s.
    public var connect: Duration = .seconds(30)
    /// Initial 220 greeting: 5 min.
    public var greeting: Duration = .minutes(5)
    /// EHLO, STARTTLS, AUTH, RSET and the TLS handshake: 5 min.
    public var command: Duration = .minutes(5)
    /// QUIT's reply: 5 s. The session's work is done by then, so the client does not wait long
    /// for a courtesy reply (RFC 5321 leaves QUIT's wait open; Postfix does not wait either).
    public var quit: Duration = .seconds(5)
    /// MAIL FROM: 5 min.
    public var mail: Duration = .minutes(5)
    /// Each RCPT TO: 5 min.
    public var recipient: Duration = .minutes(5)
    /// DATA until 354: 2 min.
    public var dataInitiation: Duration = .minutes(2)
    /// Each block of message data written: 3 min.
    public var dataBlock: Duration = .minutes(3)
    /// After the final dot, until 250: 10 min.
    public var dataTermination: Duration = .minutes(10)

    /// The RFC defaults.
    public init() {}

    /// Every phase with the same limit (tests), QUIT with at most 5 s.
    public init(all: Duration) {
        connect = all
        greeting = all
        command = all
        quit = min(all, .seconds(5))
        mail = all
        recipient = all
        dataInitiation = all
        dataBlock = all
        dataTermination = all
    }

    /// The limit for `phase`.
    public func limit(for phase: SMTPPhase) -> Duration {
        switch phase {
        case .connect: connect
        case .greeting: greeting
        case .hello, .startTLS, .authentication, .reset: command
        case .quit: quit
        case .mail: mail
        case .recipient: recipient
        case .dataCommand: dataInitiation
        case .dataBlock: dataBlock
        case .endOfData: dataTermination
        }
    }
}

extension Duration {
    static func minutes(_ minutes: Int) -> Duration { .seconds(minutes * 60) }
}

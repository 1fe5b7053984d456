/// The rules for one message on a ready session: MAIL FROM, RCPT TO for each recipient, DATA,
/// the message, and the verdict, with a result per recipient.
///
/// With PIPELINING, MAIL, every RCPT and DATA go out in one write and the replies are matched in
/// order (RFC 2920 §3.1): if no recipient was accepted but DATA still got 354, only the final dot
/// is sent. Without it, each command waits for its reply, and DATA is sent only when a recipient
/// was accepted. Before MAIL the machine refuses, permanently and without sending anything, a
/// message larger than the server's SIZE, 8-bit content without 8BITMIME, and non-ASCII addresses
/// without SMTPUTF8.
///
/// Pure: the shell carries out the ``Action``s and feeds the replies.
public struct SMTPTransactionStateMachine: Sendable {
    /// What the shell must do next.
    public enum Action: Hashable, Sendable {
        /// Write these commands (at once) and feed each reply, in order, to ``receive(_:)``.
        case send([SMTPCommand])
        /// DATA got 354: stream the message and the final dot, then feed the reply.
        case sendMessage
        /// DATA got 354 but nobody is left to deliver to: send only the final dot, feed the reply.
        case sendEmptyMessage
        /// The transaction is over. Before the next one the session sends RSET.
        case finished(TransactionResult)
        /// The server broke the protocol; the session cannot go on.
        case fail(SMTPClientError)
    }

    private enum State: Hashable, Sendable {
        case idle
        case mail
        case recipient(Int)
        case data
        case endOfData
        case emptyEndOfData
        case done
    }

    private let sender: SMTPAddress
    private let recipients: [SMTPAddress]
    private let message: MessageProperties
    private let capabilities: SMTPCapabilities
    private var state = State.idle
    private var mailError: SMTPClientError?
    private var recipientOutcomes: [SMTPClientError?] = []

    /// Creates the machine for one message.
    public init(sender: SMTPAddress, recipients: [SMTPAddress], message: MessageProperties, capabilities: SMTPCapabilities) {
        self.sender = sender
        self.recipients = recipients
        self.message = message
        self.capabilities = capabilities
    }

    /// Whether MAIL, RCPT and DATA go out in one write.
    public var isPipelined: Bool { capabilities.pipelining }

    /// The phase the next reply belongs to (for its timeout).
    public var phase: SMTPPhase {
        switch state {
        case .idle, .mail, .done: .mail
        case .recipient: .recipient
        case .data: .dataCommand
        case .endOfData, .emptyEndOfData: .endOfData
        }
    }

    /// Starts the transaction.
    public mutating func start() -> Action {
        precondition(state == .idle, "start() called twice")
        let needsUTF8 = !sender.isASCII || recipients.contains { !$0.isASCII }
        if needsUTF8, !capabilities.smtpUTF8 {
            return refuse(.smtpUTF8Unsupported, "a non-ASCII address needs SMTPUTF8, which the server does not offer")
        }
        if message.hasEightBitBytes, !capabilities.eightBitMIME {
            return refuse(.eightBitUnsupported, "the message has 8-bit bytes and the server does not offer 8BITMIME")
        }
        if let limit = capabilities.sizeLimit, message.size > limit {
            return refuse(.messageTooLarge, "the message (\(message.size) bytes) exceeds the server's SIZE limit of \(limit)")
        }
        guard !recipients.isEmpty else { return finish() }
        let parameters = SMTPCommand.MailParameters(
            size: capabilities.size ? message.size : nil,
            eightBitMIME: message.hasEightBitBytes,
            smtpUTF8: needsUTF8
        )
        state = .mail
        let mail = SMTPCommand.mail(from: sender, parameters: parameters)
        guard isPipelined else { return .send([mail]) }
        return .send([mail] + recipients.map { .recipient($0) } + [.data])
    }

    /// Feeds the next reply.
    public mutating func receive(_ response: SMTPResponse) -> Action {
        switch state {
        case .mail:
            guard response.isPositiveCompletion || response.code >= 400 else {
                return fail(.unexpected(response, in: .mail, expected: "2xx, 4xx or 5xx"))
            }
            if !response.isPositiveCompletion { mailError = .rejected(response, in: .mail) }
            if isPipelined {
                state = .recipient(0)
                return .send([])
            }
            if mailError != nil { return finish() }
            state = .recipient(0)
            return .send([.recipient(recipients[0])])

        case .recipient(let index):
            guard response.isPositiveCompletion || response.code >= 400 else {
                return fail(.unexpected(response, in: .recipient, expected: "2xx, 4xx or 5xx"))
            }
            recipientOutcomes.append(response.isPositiveCompletion ? nil : .rejected(response, in: .recipient))
            let next = index + 1
            if next < recipients.count {
                state = .recipient(next)
                return .send(isPipelined ? [] : [.recipient(recipients[next])])
            }
            if isPipelined {
                state = .data
                return .send([])
            }
            guard hasAcceptedRecipient else { return finish() }
            state = .data
            return .send([.data])

        case .data:
            if response.code == 354 {
                if hasAcceptedRecipient {
                    state = .endOfData
                    return .sendMessage
                }
                state = .emptyEndOfData
                return .sendEmptyMessage
            }
            guard response.code >= 400 else {
                return fail(.unexpected(response, in: .dataCommand, expected: "354, 4xx or 5xx"))
            }
            return finish(acceptedFailWith: .rejected(response, in: .dataCommand))

        case .endOfData:
            if response.isPositiveCompletion { return finish(deliveredWith: response) }
            guard response.code >= 400 else {
                return fail(.unexpected(response, in: .endOfData, expected: "2xx, 4xx or 5xx"))
            }
            return finish(acceptedFailWith: .rejected(response, in: .endOfData))

        case .emptyEndOfData:
            return finish()

        case .idle, .done:
            return fail(.unexpected(response, in: phase, expected: "no reply"))
        }
    }

    private var hasAcceptedRecipient: Bool {
        mailError == nil && recipientOutcomes.contains { $0 == nil }
    }

    /// Ends the transaction: recipients refused at RCPT keep their error; the others (accepted at
    /// RCPT, or never asked) get `acceptedFailWith`, the MAIL refusal, or delivery.
    private mutating func finish(deliveredWith final: SMTPResponse? = nil, acceptedFailWith failure: SMTPClientError? = nil) -> Action {
        state = .done
        let results = recipients.enumerated().map { index, recipient -> RecipientResult in
            if let mailError { return RecipientResult(recipient: recipient, outcome: .failed(mailError)) }
            if index < recipientOutcomes.count, let refusal = recipientOutcomes[index] {
                return RecipientResult(recipient: recipient, outcome: .failed(refusal))
            }
            if let final { return RecipientResult(recipient: recipient, outcome: .delivered(final)) }
            let error = failure ?? SMTPClientError(.protocolViolation, phase: .recipient, isTransient: true, detail: "no reply for this recipient")
            return RecipientResult(recipient: recipient, outcome: .failed(error))
        }
        return .finished(TransactionResult(recipients: results))
    }

    private mutating func refuse(_ code: SMTPClientError.Code, _ detail: String) -> Action {
        state = .done
        let error = SMTPClientError(code, phase: .mail, isTransient: false, detail: detail)
        return .finished(.allFailed(recipients, with: error))
    }

    private mutating func fail(_ error: SMTPClientError) -> Action {
        state = .done
        return .fail(error)
    }
}

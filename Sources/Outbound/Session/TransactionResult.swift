/// What happened to each recipient of one message.
public struct TransactionResult: Hashable, Sendable {
    /// One entry per recipient, in the order given.
    public var recipients: [RecipientResult]

    /// Creates a result.
    public init(recipients: [RecipientResult]) {
        self.recipients = recipients
    }

    /// Recipients the server took responsibility for.
    public var delivered: [SMTPAddress] { recipients.filter(\.isDelivered).map(\.recipient) }
    /// Recipients refused with a transient error (retry later).
    public var deferred: [RecipientResult] { recipients.filter { $0.error?.isTransient == true } }
    /// Recipients refused permanently.
    public var failed: [RecipientResult] { recipients.filter { $0.error?.isTransient == false } }

    /// Every recipient failed with the same error (a refusal before RCPT, a lost connection).
    public static func allFailed(_ recipients: [SMTPAddress], with error: SMTPClientError) -> TransactionResult {
        TransactionResult(recipients: recipients.map { RecipientResult(recipient: $0, outcome: .failed(error)) })
    }
}

/// The outcome for one recipient.
public struct RecipientResult: Hashable, Sendable {
    /// The recipient.
    public var recipient: SMTPAddress
    /// Delivered (with the server's reply after the final dot) or failed.
    public var outcome: Outcome

    /// Delivered or failed.
    public enum Outcome: Hashable, Sendable {
        /// The server accepted the message for this recipient; the reply to the final dot.
        case delivered(SMTPResponse)
        /// Not delivered; see ``SMTPClientError/isTransient``.
        case failed(SMTPClientError)
    }

    /// Creates a result.
    public init(recipient: SMTPAddress, outcome: Outcome) {
        self.recipient = recipient
        self.outcome = outcome
    }

    /// Whether the message was delivered to this recipient.
    public var isDelivered: Bool {
        if case .delivered = outcome { return true }
        return false
    }

    /// The error, when not delivered.
    public var error: SMTPClientError? {
        if case .failed(let error) = outcome { return error }
        return nil
    }
}

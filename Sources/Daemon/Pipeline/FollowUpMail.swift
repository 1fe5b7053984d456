/// A mail the gateway sends because of a message it passed (a password notice, a download
/// notice): queued durably and held until the MTA has the original, then released.
public struct FollowUpMail: Sendable {
    /// Envelope sender (empty: the null sender `<>`).
    public var sender: String
    public var recipients: [String]
    /// The whole message, CRLF line ends.
    public var message: [UInt8]
    /// What it is, for logs and the queue (`notice`).
    public var kind: String

    public init(sender: String, recipients: [String], message: [UInt8], kind: String) {
        self.sender = sender
        self.recipients = recipients
        self.message = message
        self.kind = kind
    }
}

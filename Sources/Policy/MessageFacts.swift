/// What the rule engine may look at in a message: envelope, connection, a few headers and the
/// attachments. Built once per message by the gateway (from the milter session and the parsed
/// message), so conditions are cheap and the engine stays free of sockets and MIME.
public struct MessageFacts: Sendable {
    /// One attachment as conditions see it.
    public struct AttachmentFact: Sendable, Hashable {
        /// Decoded file name (may be empty).
        public var filename: String
        /// Lower-case `type/subtype`.
        public var contentType: String
        /// Decoded size in bytes.
        public var size: Int

        public init(filename: String, contentType: String, size: Int) {
            self.filename = filename
            self.contentType = contentType.lowercased()
            self.size = size
        }

        /// The lower-case extension of the file name, without the dot (`""` when none).
        public var fileExtension: String {
            guard let dot = filename.lastIndex(of: "."), dot != filename.startIndex else { return "" }
            return String(filename[filename.index(after: dot)...]).lowercased()
        }
    }

    /// Envelope sender (`""` for the null sender).
    public var sender: String
    /// Client IP address as text (`nil` for a local submission).
    public var clientAddress: String?
    /// SMTP AUTH login name (`{auth_authen}`), when the client authenticated.
    public var authenticatedUser: String?
    /// Postfix `{daemon_name}` (the smtpd service), when known.
    public var daemonName: String?
    /// Header fields (name, decoded value) in order.
    public var headers: [(name: String, value: String)]
    /// The decoded Subject.
    public var subject: String
    /// Message size in bytes.
    public var size: Int
    /// The attachments.
    public var attachments: [AttachmentFact]

    public init(
        sender: String,
        clientAddress: String? = nil,
        authenticatedUser: String? = nil,
        daemonName: String? = nil,
        headers: [(name: String, value: String)] = [],
        subject: String = "",
        size: Int = 0,
        attachments: [AttachmentFact] = []
    ) {
        self.sender = sender
        self.clientAddress = clientAddress
        self.authenticatedUser = authenticatedUser
        self.daemonName = daemonName
        self.headers = headers
        self.subject = subject
        self.size = size
        self.attachments = attachments
    }
}

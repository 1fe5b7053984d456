import Foundation

/// What `sekisho links list` shows about a link. Holds no secret.
public struct LinkSummary: Hashable, Sendable {
    /// One file and how often it was downloaded.
    public struct File: Hashable, Sendable {
        public let file: LinkFile
        /// Completed downloads (plus any under way).
        public let downloads: Int

        public init(file: LinkFile, downloads: Int) {
            self.file = file
            self.downloads = downloads
        }
    }

    public let id: Int64
    public let created: Date
    public let expires: Date
    public let state: LinkState
    public let sender: String
    public let recipients: [String]
    public let subject: String
    public let messageID: String?
    public let queueID: String?
    public let hasPassword: Bool
    /// Completed downloads allowed per file; `nil` is unlimited.
    public let maximumDownloads: Int?
    public let files: [File]
    /// The first completed download of any file.
    public let firstDownload: Date?
    public let revoked: Date?
    /// When the janitor (or a revocation) deleted the blobs and the wrapped key.
    public let purged: Date?

    public init(
        id: Int64, created: Date, expires: Date, state: LinkState, sender: String, recipients: [String],
        subject: String,
        messageID: String?, queueID: String?, hasPassword: Bool, maximumDownloads: Int?, files: [File],
        firstDownload: Date?,
        revoked: Date?, purged: Date?
    ) {
        self.id = id
        self.created = created
        self.expires = expires
        self.state = state
        self.sender = sender
        self.recipients = recipients
        self.subject = subject
        self.messageID = messageID
        self.queueID = queueID
        self.hasPassword = hasPassword
        self.maximumDownloads = maximumDownloads
        self.files = files
        self.firstDownload = firstDownload
        self.revoked = revoked
        self.purged = purged
    }
}

/// Where a link stands.
public enum LinkState: String, Hashable, Sendable {
    /// Downloadable (as far as caps allow).
    case active
    /// Past its expiry time.
    case expired
    /// Revoked by the sender, an administrator or the revoke URL.
    case revoked
    /// Every file has reached the download cap.
    case exhausted
}

import Foundation

/// Which copy of a message this is.
public enum ArchiveCopyKind: String, Codable, Sendable, CaseIterable {
    /// The message as the MTA handed it to Sekisho, byte for byte.
    case received
    /// The message as delivered, after Sekisho's changes (an option).
    case delivered
}

/// The SMTP envelope and context of an archived copy. Stored beside the Maildir file (a JSON
/// sidecar, written before the file appears in `new/`) so the index can be rebuilt from disk.
public struct ArchiveEnvelope: Codable, Sendable, Equatable {
    /// `MAIL FROM` (empty for the null sender).
    public var sender: String
    /// Every `RCPT TO` of the message (or of the group, for a delivered copy).
    public var recipients: [String]
    /// The SMTP client's address.
    public var clientAddress: String?
    /// The MTA's queue id (`{i}`).
    public var queueID: String?
    /// When Sekisho received it.
    public var receivedAt: Date
    /// `inbound`, `outbound`, `internal` or `mixed`.
    public var direction: String
    /// Received or delivered copy.
    public var kind: ArchiveCopyKind
    /// Delete after this many days (the rule's retention), `nil` to keep.
    public var retentionDays: Int?
    /// The Maildir++ folders it was saved in (`""` is the root, `.2026.11.29` a folder).
    public var folders: [String]

    public init(
        sender: String, recipients: [String], clientAddress: String? = nil, queueID: String? = nil, receivedAt: Date,
        direction: String = "inbound", kind: ArchiveCopyKind = .received, retentionDays: Int? = nil, folders: [String] = [""]
    ) {
        self.sender = sender
        self.recipients = recipients
        self.clientAddress = clientAddress
        self.queueID = queueID
        self.receivedAt = receivedAt
        self.direction = direction
        self.kind = kind
        self.retentionDays = retentionDays
        self.folders = folders
    }

    /// Every address of the envelope (sender first), lower-cased, without duplicates.
    public var addresses: [String] {
        var seen = Set<String>()
        return ([sender] + recipients).map { $0.lowercased() }.filter { !$0.isEmpty && seen.insert($0).inserted }
    }
}

import Foundation

/// Where and how copies are stored.
public struct ArchiveStoreSettings: Sendable {
    /// The Maildir++ root (Dovecot's `mail_location = maildir:<root>`).
    public var root: URL
    /// Folder name pattern (``MaildirFolderPattern``); `""` is the root.
    public var folderPattern: String
    /// gzip each file (Dovecot's zlib plugin reads them).
    public var compress: Bool
    /// The zone for folder dates and for `after:`/`before:` days.
    public var timeZone: TimeZone
    /// The host part of Maildir names (`nil`: this machine's name, looked up when the first
    /// copy is written — readers never pay for the lookup).
    public var hostName: String?
    /// Programs for PDF/Office text.
    public var extractors: AttachmentTextExtractors

    public init(
        root: URL, folderPattern: String = "", compress: Bool = false, timeZone: TimeZone = .current,
        hostName: String? = nil, extractors: AttachmentTextExtractors = .installed
    ) {
        self.root = root
        self.folderPattern = folderPattern
        self.compress = compress
        self.timeZone = timeZone
        self.hostName = hostName
        self.extractors = extractors
    }
}

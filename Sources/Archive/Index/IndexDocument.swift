import Foundation

/// What the index stores for one copy: the catalogue fields and the searchable text.
public struct IndexDocument: Sendable {
    public var copy: StoredCopy
    public var date: Date?
    public var messageID: String?
    public var subject: String
    public var from: String
    public var to: String
    public var cc: String
    public var body: String
    public var attachmentNames: [String]
    /// Text extracted from text-like attachments (and PDF/Office with an extractor).
    public var attachmentText: String
    /// Addresses in the From/To/Cc headers (lower-case), besides the envelope's.
    public var headerAddresses: [String]

    public var hasAttachment: Bool { !attachmentNames.isEmpty }
}

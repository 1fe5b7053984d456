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

    public init(
        copy: StoredCopy, date: Date?, messageID: String?, subject: String, from: String, to: String, cc: String, body: String,
        attachmentNames: [String], attachmentText: String, headerAddresses: [String]
    ) {
        self.copy = copy
        self.date = date
        self.messageID = messageID
        self.subject = subject
        self.from = from
        self.to = to
        self.cc = cc
        self.body = body
        self.attachmentNames = attachmentNames
        self.attachmentText = attachmentText
        self.headerAddresses = headerAddresses
    }
}

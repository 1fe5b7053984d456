import Foundation

/// The first completed download of a link created with
/// ``NewLink/notifySenderOnFirstDownload``: the gateway queues a notice to ``sender`` from it.
/// Reported once per link, ever (the store records that it was reported).
public struct FirstDownload: Hashable, Sendable {
    public let linkID: Int64
    public let sender: String
    public let subject: String
    public let messageID: String?
    /// The file that was downloaded.
    public let fileName: String
    /// Who downloaded it (IP address).
    public let clientAddress: String
    public let time: Date

    public init(
        linkID: Int64, sender: String, subject: String, messageID: String?, fileName: String, clientAddress: String,
        time: Date
    ) {
        self.linkID = linkID
        self.sender = sender
        self.subject = subject
        self.messageID = messageID
        self.fileName = fileName
        self.clientAddress = clientAddress
        self.time = time
    }
}

import Foundation

/// What the mail filter knows when it replaces attachments by a link.
///
/// File contents are streamed: ``LinkStore/create(_:)`` calls each file's `content` closure
/// once, on a thread where blocking is fine, passing a sink; the closure calls the sink with
/// consecutive pieces of the file (any sizes) and returns. Memory use stays flat in file size.
public struct NewLink: Sendable {
    /// Produces a file's bytes by calling `sink` with consecutive pieces. Errors thrown by the
    /// sink (a full disk) must be passed on; errors thrown by the closure abort ``LinkStore/create(_:)``.
    public typealias Content = @Sendable (_ sink: (UnsafeRawBufferPointer) throws -> Void) throws -> Void

    /// The files, in the order shown on the page (download index 0, 1, …).
    public var files: [(name: String, contentType: String, content: Content)]
    /// When the link stops working (see ``LinkSettings/defaultExpiry(from:)``).
    public var expires: Date
    /// Completed downloads allowed per file; `nil` uses ``LinkSettings/maximumDownloads``.
    public var maximumDownloads: Int?
    /// An optional download password. Stored only as a salted PBKDF2-HMAC-SHA256 hash.
    public var password: String?
    /// The envelope sender (who gets the first-download notice).
    public var sender: String
    /// The envelope recipients.
    public var recipients: [String]
    /// The message subject (shown on the page).
    public var subject: String
    /// The message's Message-ID, if any.
    public var messageID: String?
    /// The MTA queue id, for logs.
    public var queueID: String?
    /// Call ``LinkServer``'s `onFirstDownload` once, at the first completed download.
    public var notifySenderOnFirstDownload: Bool

    public init(
        files: [(name: String, contentType: String, content: Content)],
        expires: Date,
        maximumDownloads: Int? = nil,
        password: String? = nil,
        sender: String,
        recipients: [String],
        subject: String,
        messageID: String? = nil,
        queueID: String? = nil,
        notifySenderOnFirstDownload: Bool = false
    ) {
        self.files = files
        self.expires = expires
        self.maximumDownloads = maximumDownloads
        self.password = password
        self.sender = sender
        self.recipients = recipients
        self.subject = subject
        self.messageID = messageID
        self.queueID = queueID
        self.notifySenderOnFirstDownload = notifySenderOnFirstDownload
    }
}

extension NewLink {
    /// Content from bytes in memory (small files, tests).
    public static func content(bytes: [UInt8]) -> Content {
        { sink in try bytes.withUnsafeBytes { try sink($0) } }
    }

    /// Content read from a file, 64 KiB at a time.
    /// - Throws (from the closure): ``LinkError`` with code ``LinkError/Code/storage`` when the
    ///   file cannot be opened or read.
    public static func content(fileAtPath path: String) -> Content {
        { sink in
            guard let handle = FileHandle(forReadingAtPath: path) else {
                throw LinkError.storage("cannot open the attachment file", path: path)
            }
            defer { try? handle.close() }
            while true {
                let data: Data?
                do { data = try handle.read(upToCount: 64 * 1024) } catch {
                    throw LinkError.storage("cannot read the attachment file: \(error)", path: path)
                }
                guard let data, !data.isEmpty else { return }
                try data.withUnsafeBytes { try sink($0) }
            }
        }
    }
}

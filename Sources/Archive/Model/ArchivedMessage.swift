import Foundation

/// One stored copy as the catalogue knows it.
public struct ArchivedMessage: Sendable, Equatable, Identifiable {
    public var id: Int64
    /// The Maildir unique name (the file name before `:2,`), stable across `new/` → `cur/`.
    public var key: String
    /// The file's path relative to the archive root, as written (`.2026.11.29/new/<key>…`).
    public var path: String
    public var envelope: ArchiveEnvelope
    /// The `Date:` header, when it parses.
    public var date: Date?
    public var messageID: String?
    /// Decoded `Subject:`, `From:`, `To:` and `Cc:`.
    public var subject: String
    public var from: String
    public var to: String
    public var cc: String
    /// Bytes of the message as received (uncompressed).
    public var size: Int
    public var hasAttachment: Bool
    /// File names of the attachments, in order.
    public var attachmentNames: [String]
    /// Stored gzip-compressed (Dovecot's zlib plugin reads it).
    public var compressed: Bool
    /// SHA-256 (hex) of the message bytes (uncompressed): tamper evidence.
    public var sha256: String
    /// Retention: deleted after this time unless held.
    public var deleteAfter: Date?
    /// Under a legal hold (on the message itself or a held search that matches it).
    public var held: Bool

    public init(
        id: Int64, key: String, path: String, envelope: ArchiveEnvelope, date: Date?, messageID: String?, subject: String,
        from: String, to: String, cc: String, size: Int, hasAttachment: Bool, attachmentNames: [String], compressed: Bool,
        sha256: String, deleteAfter: Date?, held: Bool
    ) {
        self.id = id
        self.key = key
        self.path = path
        self.envelope = envelope
        self.date = date
        self.messageID = messageID
        self.subject = subject
        self.from = from
        self.to = to
        self.cc = cc
        self.size = size
        self.hasAttachment = hasAttachment
        self.attachmentNames = attachmentNames
        self.compressed = compressed
        self.sha256 = sha256
        self.deleteAfter = deleteAfter
        self.held = held
    }
}

/// Which messages a user may see: all, or those whose envelope or header addresses fall in
/// these domains (an auditor's scope; subdomains included).
public struct ArchiveScope: Sendable, Equatable {
    /// `nil`: everything (administrators).
    public var domains: [String]?

    public init(domains: [String]?) {
        self.domains = domains.map { $0.map { $0.lowercased() } }
    }

    public static let everything = ArchiveScope(domains: nil)
}

/// One search result: the message and a snippet of the matching text, matches between
/// ``ArchiveSnippet/open`` and ``ArchiveSnippet/close``.
public struct ArchiveSearchHit: Sendable, Equatable {
    public var message: ArchivedMessage
    public var snippet: String
}

/// The markers around matched text in snippets: Unicode noncharacters (U+FDD0, U+FDD1), which
/// no charset converter produces (unlike the private-use area, where CP932 user-defined
/// characters land), so the web UI can escape the snippet and then turn them into `<mark>`.
public enum ArchiveSnippet {
    public static let open = String(Unicode.Scalar(0xFDD0 as UInt32)!)
    public static let close = String(Unicode.Scalar(0xFDD1 as UInt32)!)

    /// The snippet with the markers replaced (`[` `]` for a terminal, `<mark>` after escaping for HTML).
    public static func render(_ snippet: String, open: String, close: String) -> String {
        snippet.replacingOccurrences(of: Self.open, with: open).replacingOccurrences(of: Self.close, with: close)
    }
}

/// The order of search results.
public enum ArchiveSortOrder: String, Sendable, CaseIterable {
    /// Best match first (FTS5 bm25; subject and names weigh more than body). Ranking reads
    /// every match: slower than the date orders for words found in tens of thousands of mails.
    case relevance
    /// Most recently archived first (the archive's own order, which is the order mail arrived;
    /// read straight off the index, so a page costs the same however many messages match).
    case newest
    /// Earliest archived first.
    case oldest
}

/// A page of results and the total count.
public struct ArchiveSearchResult: Sendable {
    public var hits: [ArchiveSearchHit]
    /// Matches counted, up to the count limit of the search.
    public var total: Int
    /// The count stopped at the limit: there are `total` matches or more.
    public var totalIsLowerBound = false

    public init(hits: [ArchiveSearchHit], total: Int, totalIsLowerBound: Bool = false) {
        self.hits = hits
        self.total = total
        self.totalIsLowerBound = totalIsLowerBound
    }

    /// `1234`, or `10000+` when the count stopped at the limit.
    public var totalText: String { totalIsLowerBound ? "\(total)+" : "\(total)" }
}

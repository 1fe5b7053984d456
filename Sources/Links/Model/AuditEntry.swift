import Foundation

/// One attempt to use a link: a page view, a download, a revocation. See docs/links.md.
public struct AuditEntry: Hashable, Sendable {
    public let id: Int64
    /// The link, or `nil` when the token matched none (``AuditOutcome/notFound``).
    public let linkID: Int64?
    public let time: Date
    /// The client's IP address (the TCP peer, or the proxy's `X-Forwarded-For` entry).
    public let clientAddress: String
    /// The `User-Agent` header (at most 300 characters).
    public let userAgent: String?
    /// The file's download index; `nil` for page views and revocations.
    public let fileIndex: Int?
    /// Body bytes sent (downloads only).
    public let bytes: Int64
    public let outcome: AuditOutcome

    public init(
        id: Int64, linkID: Int64?, time: Date, clientAddress: String, userAgent: String?, fileIndex: Int?, bytes: Int64,
        outcome: AuditOutcome
    ) {
        self.id = id
        self.linkID = linkID
        self.time = time
        self.clientAddress = clientAddress
        self.userAgent = userAgent
        self.fileIndex = fileIndex
        self.bytes = bytes
        self.outcome = outcome
    }
}

/// What came of an attempt (stored as its ``rawValue``).
public struct AuditOutcome: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    /// The whole file was sent (200).
    public static let ok = AuditOutcome(rawValue: "ok")
    /// The link has expired (410).
    public static let expired = AuditOutcome(rawValue: "expired")
    /// The file has reached its download cap (410).
    public static let overCap = AuditOutcome(rawValue: "over-cap")
    /// The link was revoked (410).
    public static let revoked = AuditOutcome(rawValue: "revoked")
    /// A wrong password (403).
    public static let badPassword = AuditOutcome(rawValue: "bad-password")
    /// Too many wrong passwords for the link or the client (429).
    public static let rateLimited = AuditOutcome(rawValue: "rate-limited")
    /// No link has this token, or no file this index (404).
    public static let notFound = AuditOutcome(rawValue: "not-found")
    /// A GET download of a password-protected link (403).
    public static let passwordRequired = AuditOutcome(rawValue: "password-required")
    /// The blob failed its integrity check: 500 before any byte, or the connection was cut.
    public static let corrupt = AuditOutcome(rawValue: "corrupt")
    /// The client went away (or the server shut down) before the whole file was sent.
    public static let aborted = AuditOutcome(rawValue: "aborted")
    /// A download began and never reported back (the process stopped mid-transfer).
    public static let started = AuditOutcome(rawValue: "started")
    /// The download page was shown (200).
    public static let viewed = AuditOutcome(rawValue: "viewed")
    /// The link was revoked through its revoke URL.
    public static let revokedByURL = AuditOutcome(rawValue: "revoke")

    public var description: String { rawValue }

    /// The HTTP status an attempt with this outcome is answered with.
    var status: Int {
        switch self {
        case .notFound: 404
        case .expired, .overCap, .revoked: 410
        case .badPassword, .passwordRequired: 403
        case .rateLimited: 429
        case .corrupt: 500
        default: 200
        }
    }
}

import MailMessage

/// The disarmed copy of a message and what was done to it (for the log and the mark header).
public struct SanitizedCopy: Sendable {
    /// The copy, ready to serialise.
    public var message: MailMessage
    /// The attachments (and encrypted bodies) taken out, in document order.
    public var removed: [RemovedAttachment] = []
    /// HTML body parts turned into plain text or dropped for the plain-text alternative.
    public var htmlPartsConverted = 0
    /// Scripts, event handlers, forms, frames, remote loads… removed from the HTML kept.
    public var activeContentRemoved = 0
    /// URLs and `www.` names defanged in body text.
    public var urlsDefanged = 0
    /// What else happened, for the log (names and counts, never content or secrets).
    public var notes: [String] = []

    init(message: MailMessage) {
        self.message = message
    }
}

/// An attachment the sanitizer took out of the copy.
public struct RemovedAttachment: Sendable, Hashable {
    /// Why it went.
    public enum Reason: Sendable, Hashable, CustomStringConvertible {
        /// Every attachment goes (``CopySanitizing/AttachmentRemoval/all``).
        case all
        /// It is of these kinds (those that were asked for), in ``RiskyKind/allCases`` order.
        case risky([RiskyKind])

        /// `all`, or the kinds joined by `+` (`archive+encrypted`).
        public var description: String {
            switch self {
            case .all: "all"
            case .risky(let kinds): kinds.map(\.rawValue).joined(separator: "+")
            }
        }
    }

    /// The file name made safe (a forwarded message without one: its subject and `.eml`).
    public var name: String
    /// Lowercase `type/subtype` as declared.
    public var contentType: String
    /// Decoded size in bytes.
    public var size: Int
    /// SHA-256 of the decoded content, lowercase hex.
    public var sha256: String
    /// Why it went.
    public var reason: Reason
    /// For a forwarded message: the file inside it that made it go.
    public var matchedInside: String?

    public init(name: String, contentType: String, size: Int, sha256: String, reason: Reason, matchedInside: String? = nil) {
        self.name = name
        self.contentType = contentType
        self.size = size
        self.sha256 = sha256
        self.reason = reason
        self.matchedInside = matchedInside
    }
}

import Foundation

/// A copy on disk: what the JSON sidecar in `<root>/sekisho/envelopes/` records, written before
/// the message appears in `new/`. The index is rebuilt from these.
public struct StoredCopy: Codable, Sendable, Equatable {
    /// The Maildir unique name.
    public var key: String
    /// Where it was linked, relative to the root (`.2026.11.29/new/<key>,S=1234`).
    public var paths: [String]
    public var envelope: ArchiveEnvelope
    /// Bytes before compression.
    public var size: Int
    /// SHA-256 (hex) before compression.
    public var sha256: String
    public var compressed: Bool

    public init(key: String, paths: [String], envelope: ArchiveEnvelope, size: Int, sha256: String, compressed: Bool) {
        self.key = key
        self.paths = paths
        self.envelope = envelope
        self.size = size
        self.sha256 = sha256
        self.compressed = compressed
    }
}

import Foundation

/// A legal hold: on one message, or on a search (every message it matches, now or later, is
/// kept whatever its retention says) until released.
public struct ArchiveHold: Sendable, Equatable, Identifiable {
    public var id: Int64
    /// The held search (`nil` for a hold on messages).
    public var query: String?
    public var reason: String
    public var createdBy: String
    public var createdAt: Date
    public var releasedBy: String?
    public var releasedAt: Date?
    /// Messages recorded under the hold.
    public var messageCount: Int

    public var isActive: Bool { releasedAt == nil }
}

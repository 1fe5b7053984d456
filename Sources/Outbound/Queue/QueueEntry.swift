import Foundation

/// Where a recipient of a queued message stands.
public enum RecipientState: String, Hashable, Sendable, Codable, CaseIterable {
    /// Not tried yet.
    case pending
    /// Tried; refused with a transient error, or the attempt broke off. Retried.
    case deferred
    /// The server accepted the message for this recipient. Never sent again.
    case delivered
    /// Refused permanently, or given up after the maximum age. Reported by the failure policy.
    case failed
}

/// A snapshot of one queued message, for listing and for tests.
public struct QueueEntry: Hashable, Sendable, Codable {
    /// The entry's id (``OutboundQueue/retry(_:)``, ``OutboundQueue/drop(_:)``).
    public var id: Int64
    /// When it was enqueued.
    public var createdAt: Date
    /// The envelope sender.
    public var sender: SMTPAddress
    /// Each recipient with its state.
    public var recipients: [QueuedRecipient]
    /// The relay chosen at enqueue, or `nil` for the delivery service's default.
    public var relay: SMTPRelay?
    /// Who enqueued it (`milter`, `cli`, `report`).
    public var origin: String?
    /// The MTA's queue id of the original message, when known.
    public var originQueueID: String?
    /// Whether this is a delivery report made by the queue itself (never reported on again).
    public var isReport: Bool
    /// Delivery attempts so far.
    public var attempts: Int
    /// When the next attempt is due.
    public var nextAttemptAt: Date
    /// The last error of the entry as a whole, if any.
    public var lastError: String?
    /// Until when a delivery service holds it, when it is being delivered.
    public var leasedUntil: Date?
    /// The message's size as declared with `SIZE=` (RFC 1870: CRLF line ends, no dot-stuffing;
    /// ``MessageProperties/size``).
    public var size: Int
    /// The named destination (duplicate copies), or `nil`.
    public var destination: String?
    /// Whether it waits for the gateway to answer the MTA (``OutboundQueue/release(_:)``).
    public var isHeld: Bool
}

/// A recipient of a queued message.
public struct QueuedRecipient: Hashable, Sendable, Codable {
    /// The address.
    public var address: SMTPAddress
    /// Where it stands.
    public var state: RecipientState
    /// The last reply or error for it.
    public var lastResponse: String?
}

/// Depth and age of the queue (for the metrics gauges).
public struct QueueStatistics: Hashable, Sendable {
    /// Entries in the queue.
    public var depth: Int
    /// When the oldest entry was enqueued, `nil` when empty.
    public var oldestCreatedAt: Date?
}

extension QueueEntry {
    init(_ record: EntryRecord, recipients: [RecipientRecord]) {
        self.init(
            id: record.id ?? 0,
            createdAt: Date(timeIntervalSince1970: record.createdAt),
            sender: (try? SMTPAddress(record.sender)) ?? .null,
            recipients: recipients.map {
                QueuedRecipient(address: (try? SMTPAddress($0.address)) ?? .null, state: $0.state, lastResponse: $0.lastResponse)
            },
            relay: record.decodedRelay,
            origin: record.origin,
            originQueueID: record.originQueueId,
            isReport: record.isReport,
            attempts: record.attempts,
            nextAttemptAt: Date(timeIntervalSince1970: record.nextAttemptAt),
            lastError: record.lastError,
            leasedUntil: record.leaseOwner == nil ? nil : record.leaseExpiresAt.map(Date.init(timeIntervalSince1970:)),
            size: record.size,
            destination: record.destination,
            isHeld: record.heldBy != nil
        )
    }
}

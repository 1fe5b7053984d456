import Foundation

/// One message to put in the queue.
public struct EnqueueRequest: Sendable {
    /// The envelope sender; `<>` for reports.
    public var sender: SMTPAddress
    /// The envelope recipients (at least one).
    public var recipients: [SMTPAddress]
    /// The message: bytes, or a file that is copied into the spool.
    public var message: SpoolDirectory.Source
    /// Where to send it; `nil` uses the delivery service's default relay.
    public var relay: SMTPRelay?
    /// Who enqueued it (`milter`, `cli`), for logs and `queue list`.
    public var origin: String?
    /// The MTA's queue id of the original message, for logs.
    public var originQueueID: String?
    /// Not due before this time; `nil`: due at once.
    public var holdUntil: Date?
    /// Held back until ``OutboundQueue/release(_:)``: the gateway queues split copies, notices
    /// and duplicates this way before it answers the MTA and releases them once the answer is
    /// decided. Held entries of a queue instance that is gone are settled when delivery starts
    /// (``OutboundQueue/settleAbandonedHolds()``): dropped after a crash of the process (the MTA
    /// got no answer, keeps the message and sends it again, so nothing is sent twice), released
    /// after a restart of the machine (nothing is lost).
    public var held: Bool
    /// The named destination it goes to (per-destination retry, failure policy, metrics, logs).
    public var destination: String?

    /// Creates a request.
    public init(
        sender: SMTPAddress,
        recipients: [SMTPAddress],
        message: SpoolDirectory.Source,
        relay: SMTPRelay? = nil,
        origin: String? = nil,
        originQueueID: String? = nil,
        holdUntil: Date? = nil,
        held: Bool = false,
        destination: String? = nil
    ) {
        self.holdUntil = holdUntil
        self.held = held
        self.destination = destination
        self.sender = sender
        self.recipients = recipients
        self.message = message
        self.relay = relay
        self.origin = origin
        self.originQueueID = originQueueID
    }
}

/// The wall clock the queue stamps entries with; tests inject a fixed or stepping one.
public struct QueueClock: Sendable {
    /// The current time.
    public var now: @Sendable () -> Date

    /// A clock reading `now`.
    public init(now: @escaping @Sendable () -> Date) {
        self.now = now
    }

    /// The system clock.
    public static let system = QueueClock { Date() }
}

/// The queue refused a request or an operation.
public struct OutboundQueueError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong.
    public var problem: String

    init(_ problem: String) {
        self.problem = problem
    }

    public var description: String { problem }
}

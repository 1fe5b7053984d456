/// How the delivery service works the queue.
public struct DeliveryServiceConfiguration: Sendable {
    /// The SMTP client's settings (HELO name, timeouts, credentials).
    public var client: SMTPClientConfiguration
    /// The relay for entries queued without one, and for reports; `nil` means such entries wait
    /// (deferred) until one is configured.
    public var defaultRelay: SMTPRelay?
    /// Retry delays and maximum age.
    public var retry: RetrySchedule
    /// What happens to recipients that fail for good.
    public var failurePolicy: PermanentFailurePolicy
    /// The most connections (batches) delivering at once: 4.
    public var concurrency: Int
    /// The most messages leased at once for one connection: 20.
    public var batchSize: Int
    /// How long a connection stays open after its last message, waiting for more mail to the
    /// same relay (then leased onto it): 1 s; zero closes it at once. Like Postfix's connection
    /// cache, it spares a connect, greeting, EHLO (and STARTTLS) per message when mail arrives
    /// steadily, as copies do under load.
    public var connectionIdleTime: Duration = .seconds(1)
    /// The most messages one connection carries before it is closed: 1000.
    public var connectionMessageLimit: Int = 1000
    /// How long a waiting connection, woken by new mail, waits for more before leasing: 10 ms.
    /// Under load the copies of several messages then share one lease (one transaction) instead
    /// of one each.
    public var gatherTime: Duration = .milliseconds(10)
    /// How often the database is checked for due entries (enqueues in this process wake the
    /// service at once): 2 s.
    public var pollInterval: Duration
    /// How long a lease lasts before another runner may take the entry: 30 min (a running
    /// service never takes back its own lease; a restarted one releases them all).
    public var leaseDuration: Duration
    /// Message files no entry refers to are moved to the spool's `quarantine/` at start (and
    /// leftovers in `tmp/` removed) when older than this: 10 min.
    public var orphanAge: Duration
    /// Stop once the queue is empty (`sekisho queue run --until-empty`).
    public var stopsWhenEmpty: Bool
    /// Settings of named destinations (``EnqueueRequest/destination``): their own retry
    /// schedule and failure policy. An entry whose destination is not here (removed from the
    /// configuration) uses ``retry`` and is not reported on (``PermanentFailurePolicy/drop``).
    public var destinations: [String: DestinationPolicy] = [:]

    /// The schedule for entries going to `destination`.
    func retry(for destination: String?) -> RetrySchedule {
        destination.flatMap { destinations[$0]?.retry } ?? retry
    }

    /// The failure policy for entries going to `destination`.
    func failurePolicy(for destination: String?) -> PermanentFailurePolicy {
        guard let destination else { return failurePolicy }
        return destinations[destination]?.failurePolicy ?? .drop
    }

    /// Creates a configuration; the defaults are listed on each property.
    public init(
        client: SMTPClientConfiguration,
        defaultRelay: SMTPRelay? = nil,
        retry: RetrySchedule = RetrySchedule(),
        failurePolicy: PermanentFailurePolicy = .bounce,
        concurrency: Int = 4,
        batchSize: Int = 20,
        pollInterval: Duration = .seconds(2),
        leaseDuration: Duration = .seconds(1800),
        orphanAge: Duration = .seconds(600),
        stopsWhenEmpty: Bool = false
    ) {
        self.client = client
        self.defaultRelay = defaultRelay
        self.retry = retry
        self.failurePolicy = failurePolicy
        self.concurrency = concurrency
        self.batchSize = batchSize
        self.pollInterval = pollInterval
        self.leaseDuration = leaseDuration
        self.orphanAge = orphanAge
        self.stopsWhenEmpty = stopsWhenEmpty
    }

    /// Checks every value once, naming the key.
    /// - Throws: ``SMTPConfigurationError``.
    public func validate() throws(SMTPConfigurationError) {
        try client.validate()
        try retry.validate()
        guard (1...256).contains(concurrency) else { throw SMTPConfigurationError(field: "concurrency", problem: "must be 1–256") }
        guard (1...10_000).contains(batchSize) else { throw SMTPConfigurationError(field: "batch_size", problem: "must be 1–10000") }
        guard pollInterval > .zero else { throw SMTPConfigurationError(field: "poll_interval", problem: "must be > 0") }
        guard connectionIdleTime >= .zero, connectionIdleTime <= .seconds(300) else {
            throw SMTPConfigurationError(field: "connection_idle_time", problem: "must be 0–300 s")
        }
        guard gatherTime >= .zero, gatherTime <= .seconds(1) else { throw SMTPConfigurationError(field: "gather_time", problem: "must be 0–1 s") }
        guard connectionMessageLimit >= 1 else { throw SMTPConfigurationError(field: "connection_message_limit", problem: "must be ≥ 1") }
        guard leaseDuration >= .seconds(1) else { throw SMTPConfigurationError(field: "lease_duration", problem: "must be ≥ 1 s") }
        guard orphanAge >= .seconds(60) else { throw SMTPConfigurationError(field: "orphan_age", problem: "must be ≥ 60 s") }
        for (name, destination) in destinations {
            do {
                try destination.retry.validate()
            } catch {
                throw SMTPConfigurationError(field: "destinations.\(name).\(error.field)", problem: error.problem)
            }
        }
    }
}

/// How entries for one named destination are retried and reported.
public struct DestinationPolicy: Hashable, Sendable {
    /// Retry delays and maximum age.
    public var retry: RetrySchedule
    /// What happens when the destination refuses for good or the maximum age passes. Copies
    /// default to ``PermanentFailurePolicy/drop`` (logged as critical and counted): their
    /// envelope sender never asked for them.
    public var failurePolicy: PermanentFailurePolicy

    /// Creates a policy.
    public init(retry: RetrySchedule = RetrySchedule(), failurePolicy: PermanentFailurePolicy = .drop) {
        self.retry = retry
        self.failurePolicy = failurePolicy
    }
}

import Foundation
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

/// Works the ``OutboundQueue``: takes due entries, delivers them with the ``SMTPClient``,
/// records each recipient's outcome, retries transient failures on the ``RetrySchedule``, and
/// applies the ``PermanentFailurePolicy``.
///
/// A swift-service-lifecycle `Service`. At start it takes the queue's runner lock (one service
/// per database), releases every lease (entries a crashed runner held become due again), moves
/// message files without an entry into the spool's `quarantine/` and removes stale `tmp/` files. Due entries are leased in batches that share a relay; each
/// batch goes over one connection (RSET between messages), at most
/// ``DeliveryServiceConfiguration/concurrency`` batches at once. On graceful shutdown no new
/// batch starts, each running batch finishes its current message and gives the rest back.
public struct DeliveryService: Service, CustomStringConvertible {
    /// The validated configuration.
    public let configuration: DeliveryServiceConfiguration
    let queue: OutboundQueue
    let client: SMTPClient
    let logger: Logger
    let metrics: OutboundMetrics
    /// Deliveries noted before they are committed (the delivery journal, ``QueueJournal``).
    let journal: QueueJournal
    /// When the once-a-second work of the loop is due.
    let slowTurns = Throttle(interval: .seconds(1))
    /// Wakes connections that wait for more mail to their relay (the queue's signal pulses it).
    var arrivals: WorkArrivals { queue.signal.arrivals }

    /// Creates the service.
    /// - Throws: ``SMTPConfigurationError`` when the configuration is invalid.
    public init(
        queue: OutboundQueue,
        configuration: DeliveryServiceConfiguration,
        logger: Logger,
        metrics: OutboundMetrics = OutboundMetrics(),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) throws(SMTPConfigurationError) {
        try configuration.validate()
        self.configuration = configuration
        self.queue = queue
        self.client = try SMTPClient(configuration: configuration.client, eventLoopGroup: eventLoopGroup, logger: logger)
        self.logger = logger
        self.metrics = metrics
        self.journal = QueueJournal(path: queue.databasePath + ".delivered")
    }

    /// `DeliveryService(var/outbound/queue.sqlite)`.
    public var description: String { "DeliveryService(\(queue.databasePath))" }

    private enum LoopEvent: Sendable {
        case tick
        case enqueued
        case batchFinished
        case shutdown
    }

    /// Delivers until cancelled, shut down gracefully, or (with `stopsWhenEmpty`) the queue is empty.
    /// - Throws: ``OutboundQueueError`` when another service holds the runner lock; a database
    ///   error when the queue cannot be read at start.
    public func run() async throws {
        let lock = try RunnerLock.acquire(forDatabase: queue.databasePath)
        defer { lock.release() }
        let owner = UUID().uuidString.lowercased()
        // Deliveries a killed runner noted but did not commit: delivered, never sent again.
        let noted = journal.lines().compactMap { line in line.count >= 2 ? (entry: line[0], recipients: Array(line.dropFirst())) : nil }
        let recovered = try await queue.markDelivered(noted)
        try journal.open(empty: true)
        if recovered > 0 {
            logger.notice("deliveries recovered from the delivery journal", metadata: ["outbound.recovered": "\(recovered)"])
        }
        let releasedEntries = try await queue.releaseLeases()
        let released = releasedEntries.count
        for entry in releasedEntries {
            // The previous runner stopped while it held these: one may have reached its server
            // without the outcome being saved (the window RFC 1047 describes), and is sent again.
            logger.warning("entry was leased for delivery when the previous runner stopped; sent again (if its server had already accepted it, it gets it twice)", metadata: [
                "outbound.entry": "\(entry.id ?? 0)", "mail.queue_id": "\(entry.originQueueId ?? "-")",
                "outbound.destination": "\(entry.destination ?? "-")",
            ])
        }
        if OutboundQueue.bootID == "unknown" {
            logger.warning("the kernel's boot id cannot be read: held entries of a crashed gateway are released, not dropped (a copy may be sent twice)")
        }
        let settled = try await queue.settleAbandonedHolds()
        if settled.dropped > 0 {
            logger.warning("held entries of a gateway that stopped before answering the MTA dropped (the MTA sends those messages again)", metadata: [
                "outbound.dropped_holds": "\(settled.dropped)",
            ])
        }
        if settled.released > 0 {
            logger.warning("held entries from before the machine restarted released (their release may have been lost; sent, perhaps twice, never lost)", metadata: [
                "outbound.released_holds": "\(settled.released)",
            ])
        }
        let orphans = try await queue.quarantineOrphanedFiles(olderThan: configuration.orphanAge)
        for path in orphans.quarantined {
            logger.warning("message file without a queue entry moved to quarantine", metadata: ["outbound.file": "\(path)"])
        }
        logger.info("outbound delivery started", metadata: [
            "outbound.released_leases": "\(released)", "outbound.quarantined_orphans": "\(orphans.quarantined.count)",
            "outbound.removed_temporary": "\(orphans.removedTemporary)",
            "outbound.concurrency": "\(configuration.concurrency)",
            "outbound.default_relay": "\(configuration.defaultRelay?.description ?? "none")",
            "outbound.failure_policy": "\(configuration.failurePolicy)",
        ])
        let stop = StopFlag()
        arrivals.open()
        let (events, continuation) = AsyncStream<LoopEvent>.makeStream()
        let enqueued = queue.signal.listen()
        continuation.yield(.tick)
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { deliveries in
                await withTaskGroup(of: Void.self) { helpers in
                    helpers.addTask {
                        while !Task.isCancelled {
                            try? await Task.sleep(for: configuration.pollInterval)
                            continuation.yield(.tick)
                        }
                    }
                    helpers.addTask {
                        for await _ in enqueued { continuation.yield(.enqueued) }
                    }
                    var active = 0
                    for await event in events {
                        switch event {
                        case .batchFinished: active -= 1
                        case .tick, .enqueued: break
                        case .shutdown: break
                        }
                        if stop.isSet || Task.isCancelled { break }
                        // (New work went to a connection waiting for more, when there was one:
                        // the queue's signal wakes it instead of this loop. Mail for another
                        // relay is leased here when that connection closes, and on every tick.)
                        while active < configuration.concurrency, let batch = await leaseBatch(owner: owner) {
                            active += 1
                            deliveries.addTask {
                                await deliver(batch, owner: owner, stop: stop)
                                continuation.yield(.batchFinished)
                            }
                        }
                        let depth = await updateGauges()
                        if configuration.stopsWhenEmpty, active == 0, depth == 0 { break }
                    }
                    helpers.cancelAll()
                }
            }
        } onGracefulShutdown: {
            stop.set()
            arrivals.close()
            continuation.yield(.shutdown)
        }
        continuation.finish()
        logger.info("outbound delivery stopped")
    }

    /// Leases due entries (and commits `completions` with them, when given); `nil` when none is due.
    func leaseBatch(owner: String, relay: RelayChoice = .oldest, completions: DeliveredEntries? = nil) async -> [LeasedEntry]? {
        await lease(owner: owner, relay: relay, completions: completions).entries
    }

    /// ``leaseBatch(owner:relay:completions:)``, saying also whether another relay's entries are
    /// due (then, with `.only`, nothing is leased).
    func lease(owner: String, relay: RelayChoice, completions: DeliveredEntries?) async -> (entries: [LeasedEntry]?, othersDue: Bool) {
        let completing = completions?.take() ?? []
        do {
            let (batch, completed, othersDue) = try await queue.leaseBatch(
                owner: owner, limit: configuration.batchSize, leaseDuration: configuration.leaseDuration, relay: relay,
                completing: completing.map(\.leased.id)
            )
            finished(completing, found: completed)
            return (batch.isEmpty ? nil : batch, othersDue)
        } catch {
            logger.error("cannot lease due entries", metadata: ["error": "\(error)"])
            await commitEach(completing, owner: owner)
            return (nil, false)
        }
    }

    /// Updates the depth and age gauges; returns the depth (-1 when unknown or not read this
    /// turn). Commits releases the gateway noted but could not commit first.
    private func updateGauges() async -> Int {
        // Per-destination figures and noted releases at most once a second (each is a scan or a
        // write, and this runs on every enqueue and every finished batch).
        let slowTurn = slowTurns.due()
        if slowTurn {
            do {
                try await queue.commitNotedReleases()
            } catch {
                logger.error("cannot commit noted releases; retrying", metadata: ["error": "\(error)"])
            }
        }
        // The depth and age gauges once a second too (a scan on every copy would cost more than
        // the copy), or on every turn when the service stops once the queue is empty.
        guard slowTurn || configuration.stopsWhenEmpty else { return -1 }
        do {
            let statistics = try await queue.statistics()
            metrics.record(statistics, now: queue.clock.now())
            if slowTurn, !configuration.destinations.isEmpty {
                metrics.record(destinations: try await queue.destinationStatistics(), known: configuration.destinations.keys, now: queue.clock.now())
            }
            return statistics.depth
        } catch {
            logger.error("cannot read queue statistics", metadata: ["error": "\(error)"])
            return -1
        }
    }
}

/// Says yes at most once per interval.
final class Throttle: Sendable {
    private let last = Mutex<ContinuousClock.Instant?>(nil)
    private let interval: Duration

    init(interval: Duration) {
        self.interval = interval
    }

    /// Whether the interval has passed since the last yes (yes the first time).
    func due() -> Bool {
        last.withLock { last in
            let now = ContinuousClock.now
            if let previous = last, now - previous < interval { return false }
            last = now
            return true
        }
    }
}

/// Set once graceful shutdown begins; read by every batch between messages.
final class StopFlag: Sendable {
    private let state = Mutex(false)

    func set() { state.withLock { $0 = true } }
    var isSet: Bool { state.withLock { $0 } }
}

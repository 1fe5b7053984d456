import Foundation
import Metrics
import Synchronization

/// The queue's metrics (swift-metrics; names in docs/outbound.md):
///
/// | name | kind | meaning |
/// | --- | --- | --- |
/// | `sekisho_outbound_queue_depth` | gauge | entries in the queue |
/// | `sekisho_outbound_queue_oldest_age_seconds` | gauge | age of the oldest entry (0 when empty) |
/// | `sekisho_outbound_delivered_total` | counter | recipients delivered |
/// | `sekisho_outbound_deferred_total` | counter | recipient attempts deferred (transient failure) |
/// | `sekisho_outbound_failed_total` | counter | recipients failed permanently (incl. expired) |
/// | `sekisho_outbound_bounced_total` | counter | delivery reports queued (bounce or notify) |
/// | `sekisho_outbound_destination_messages_total{destination,event}` | counter | per named destination: messages `queued`; attempts that `delivered` (to at least one recipient), were `deferred`, or `failed` (at least one recipient for good) |
/// | `sekisho_outbound_destination_depth{destination}` | gauge | entries queued for the destination |
/// | `sekisho_outbound_destination_oldest_age_seconds{destination}` | gauge | age of its oldest entry (0 when none) |
public struct OutboundMetrics: Sendable {
    let depth: Gauge
    let oldestAge: Gauge
    let delivered: Counter
    let deferred: Counter
    let failed: Counter
    let bounced: Counter
    let factory: any MetricsFactory
    private let reportedDestinations = ReportedNames()

    /// Creates the metrics with `factory` (the bootstrapped system's by default).
    public init(factory: any MetricsFactory = MetricsSystem.factory) {
        depth = Gauge(label: "sekisho_outbound_queue_depth", factory: factory)
        oldestAge = Gauge(label: "sekisho_outbound_queue_oldest_age_seconds", factory: factory)
        delivered = Counter(label: "sekisho_outbound_delivered_total", factory: factory)
        deferred = Counter(label: "sekisho_outbound_deferred_total", factory: factory)
        failed = Counter(label: "sekisho_outbound_failed_total", factory: factory)
        bounced = Counter(label: "sekisho_outbound_bounced_total", factory: factory)
        self.factory = factory
    }

    /// Counts a message queued for `destination` (the gateway calls this after enqueueing).
    public func recordQueued(destination: String) {
        destinationCounter(destination, event: "queued").increment()
    }

    private func destinationCounter(_ destination: String, event: String) -> Counter {
        Counter(label: "sekisho_outbound_destination_messages_total", dimensions: [("destination", destination), ("event", event)], factory: factory)
    }

    /// Sets the per-destination gauges: every name in `known` (0 when it has nothing queued)
    /// and every destination with entries.
    func record(destinations statistics: [String: QueueStatistics], known: some Sequence<String>, now: Date) {
        let names = Set(known).union(statistics.keys)
        // A destination reported before and gone now is set to 0 once, not left at its last value.
        let gone = reportedDestinations.names.withLock { reported in
            defer { reported = names }
            return reported.subtracting(names)
        }
        for name in gone {
            Gauge(label: "sekisho_outbound_destination_depth", dimensions: [("destination", name)], factory: factory).record(0)
            Gauge(label: "sekisho_outbound_destination_oldest_age_seconds", dimensions: [("destination", name)], factory: factory).record(0)
        }
        for name in names {
            let entry = statistics[name]
            Gauge(label: "sekisho_outbound_destination_depth", dimensions: [("destination", name)], factory: factory).record(entry?.depth ?? 0)
            let age = entry?.oldestCreatedAt.map { max(0, now.timeIntervalSince($0)) } ?? 0
            Gauge(label: "sekisho_outbound_destination_oldest_age_seconds", dimensions: [("destination", name)], factory: factory).record(age)
        }
    }

    func record(_ statistics: QueueStatistics, now: Date) {
        depth.record(statistics.depth)
        oldestAge.record(statistics.oldestCreatedAt.map { max(0, now.timeIntervalSince($0)) } ?? 0)
    }

    func recordReportQueued() {
        bounced.increment()
    }

    func record(_ outcome: AttemptOutcome, destination: String? = nil) {
        if outcome.delivered > 0 { delivered.increment(by: outcome.delivered) }
        if outcome.deferred > 0 { deferred.increment(by: outcome.deferred) }
        if outcome.failed > 0 { failed.increment(by: outcome.failed) }
        guard let destination else { return }
        if outcome.delivered > 0 { destinationCounter(destination, event: "delivered").increment() }
        if outcome.deferred > 0 { destinationCounter(destination, event: "deferred").increment() }
        if outcome.failed > 0 { destinationCounter(destination, event: "failed").increment() }
    }
}

/// The destination names the gauges were last set for.
private final class ReportedNames: Sendable {
    let names = Mutex<Set<String>>([])
}

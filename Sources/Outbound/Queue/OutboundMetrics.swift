import Foundation
import Metrics

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
public struct OutboundMetrics: Sendable {
    let depth: Gauge
    let oldestAge: Gauge
    let delivered: Counter
    let deferred: Counter
    let failed: Counter
    let bounced: Counter

    /// Creates the metrics with `factory` (the bootstrapped system's by default).
    public init(factory: any MetricsFactory = MetricsSystem.factory) {
        depth = Gauge(label: "sekisho_outbound_queue_depth", factory: factory)
        oldestAge = Gauge(label: "sekisho_outbound_queue_oldest_age_seconds", factory: factory)
        delivered = Counter(label: "sekisho_outbound_delivered_total", factory: factory)
        deferred = Counter(label: "sekisho_outbound_deferred_total", factory: factory)
        failed = Counter(label: "sekisho_outbound_failed_total", factory: factory)
        bounced = Counter(label: "sekisho_outbound_bounced_total", factory: factory)
    }

    func record(_ statistics: QueueStatistics, now: Date) {
        depth.record(statistics.depth)
        oldestAge.record(statistics.oldestCreatedAt.map { max(0, now.timeIntervalSince($0)) } ?? 0)
    }

    func recordReportQueued() {
        bounced.increment()
    }

    func record(_ outcome: AttemptOutcome) {
        if outcome.delivered > 0 { delivered.increment(by: outcome.delivered) }
        if outcome.deferred > 0 { deferred.increment(by: outcome.deferred) }
        if outcome.failed > 0 { failed.increment(by: outcome.failed) }
    }
}

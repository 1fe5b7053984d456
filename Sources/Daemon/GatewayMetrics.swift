import Metrics
import Prometheus
import Synchronization

/// The gateway's metrics, in its own Prometheus registry (no process-wide state): messages by
/// verdict, per-filter latency histograms, and whatever the outbound queue reports. Served as
/// text at `metrics.path` on the web listener.
public struct GatewayMetrics: Sendable {
    /// The registry `/metrics` emits.
    public let registry: PrometheusCollectorRegistry
    /// The factory every metric of the gateway is made with.
    public let factory: PrometheusMetricsFactory

    private let openConnections = OpenCount()

    public init() {
        registry = PrometheusCollectorRegistry()
        factory = PrometheusMetricsFactory(registry: registry)
    }

    /// A milter connection opened (`opened: true`) or closed: `sekisho_milter_connections_open`.
    public func connection(opened: Bool) {
        let now = openConnections.count.withLock { count -> Int in
            count += opened ? 1 : -1
            return count
        }
        Gauge(label: "sekisho_milter_connections_open", factory: factory).record(now)
    }

    private final class OpenCount: Sendable {
        let count = Mutex(0)
    }

    /// Counts one message by its verdict (`continue`, `tempfail`, `reject`, …).
    public func message(verdict: String) {
        Counter(label: "sekisho_messages_total", dimensions: [("verdict", verdict)], factory: factory).increment()
    }

    /// Records how long a filter took.
    public func filter(_ name: String, duration: Duration) {
        let nanoseconds = duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
        Timer(label: "sekisho_filter_duration_seconds", dimensions: [("filter", name)], factory: factory).recordNanoseconds(nanoseconds)
    }

    /// Counts SMTP sessions opened and closed (open connections = opened − closed).
    public func session(opened: Bool) {
        Counter(label: opened ? "sekisho_milter_sessions_opened_total" : "sekisho_milter_sessions_closed_total", factory: factory).increment()
    }

    /// Counts archive copies written (`kind`: received, delivered) or failed (`kind`: failed):
    /// `sekisho_archive_copies_total`.
    public func archived(kind: String) {
        Counter(label: "sekisho_archive_copies_total", dimensions: [("kind", kind)], factory: factory).increment()
    }

    /// Copies written but not yet indexed: `sekisho_archive_index_backlog`.
    public func archiveBacklog(_ count: Int) {
        Gauge(label: "sekisho_archive_index_backlog", factory: factory).record(count)
    }

    /// The exposition text.
    public func exposition() -> [UInt8] {
        registry.emitToBuffer()
    }
}

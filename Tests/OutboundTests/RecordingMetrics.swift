import CoreMetrics
import Metrics
import Synchronization

/// A swift-metrics factory that keeps the last value of every gauge and the total of every
/// counter, by label (`name{key=value,…}` when it has dimensions), so tests can read them.
final class RecordingMetrics: MetricsFactory, Sendable {
    private let values = Mutex<[String: Double]>([:])

    /// The counter's total or the gauge's last value.
    func value(_ label: String) -> Double? { values.withLock { $0[label] } }

    fileprivate func add(_ label: String, _ amount: Double) { values.withLock { $0[label, default: 0] += amount } }
    fileprivate func set(_ label: String, _ value: Double) { values.withLock { $0[label] = value } }

    static func key(_ label: String, _ dimensions: [(String, String)]) -> String {
        dimensions.isEmpty ? label : "\(label){\(dimensions.map { "\($0.0)=\($0.1)" }.joined(separator: ","))}"
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler { Handler(label: Self.key(label, dimensions), metrics: self) }
    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler { Handler(label: Self.key(label, dimensions), metrics: self) }
    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler { Handler(label: label, metrics: self) }
    func destroyCounter(_ handler: any CounterHandler) {}
    func destroyRecorder(_ handler: any RecorderHandler) {}
    func destroyTimer(_ handler: any TimerHandler) {}

    private final class Handler: CounterHandler, RecorderHandler, TimerHandler, Sendable {
        let label: String
        let metrics: RecordingMetrics

        init(label: String, metrics: RecordingMetrics) {
            self.label = label
            self.metrics = metrics
        }

        func increment(by amount: Int64) { metrics.add(label, Double(amount)) }
        func reset() { metrics.set(label, 0) }
        func record(_ value: Int64) { metrics.set(label, Double(value)) }
        func record(_ value: Double) { metrics.set(label, value) }
        func recordNanoseconds(_ duration: Int64) { metrics.set(label, Double(duration)) }
    }
}

import Logging
import NIOConcurrencyHelpers

/// Collects log records in memory so tests can assert on them.
public final class LogCapture: Sendable {
    /// One captured record.
    public struct Record: Sendable, CustomStringConvertible {
        public var level: Logger.Level
        public var message: String
        public var metadata: [String: String]

        public var description: String {
            let meta = metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            return "\(level) \(meta) \(message)"
        }
    }

    private let storage = NIOLockedValueBox<[Record]>([])

    public init() {}

    /// A logger writing into this capture at `level` and above.
    public func logger(label: String = "test", level: Logger.Level = .trace) -> Logger {
        var logger = Logger(label: label) { _ in Handler(capture: self) }
        logger.logLevel = level
        return logger
    }

    /// Everything captured so far.
    public var records: [Record] { storage.withLockedValue { $0 } }

    /// Records whose message contains `text`.
    public func records(containing text: String) -> [Record] {
        records.filter { $0.message.contains(text) }
    }

    func append(_ record: Record) {
        storage.withLockedValue { $0.append(record) }
    }

    struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            var merged: [String: String] = [:]
            for (key, value) in metadata { merged[key] = "\(value)" }
            for (key, value) in event.metadata ?? [:] { merged[key] = "\(value)" }
            capture.append(Record(level: event.level, message: "\(event.message)", metadata: merged))
        }
    }
}

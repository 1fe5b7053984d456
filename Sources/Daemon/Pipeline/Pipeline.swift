import Logging
import MailMessage
import Milter
import Policy

/// Runs the actions the rules chose for one group of recipients, in stage order, each filter
/// under its time limit, and applies the failure policy: a filter that throws or times out fails
/// only this message — with the filter's `on_error` (tempfail by default: the MTA keeps the mail)
/// — never the session or the server. A rule naming a filter this build does not have is a
/// failure too: protection is never skipped silently.
public struct Pipeline: Sendable {
    /// What happened to the message.
    public enum Outcome: Sendable {
        /// Deliver `message` (changed or not).
        case deliver(FilterWork)
        /// A check stopped the message with this verdict.
        case stopped(MilterVerdict, by: String)
        /// A filter failed; the message gets `action`.
        case failed(filter: String, reason: String, action: FailureAction)
    }

    private let filters: [String: any MessageFilter]
    private let configuration: GatewayConfiguration
    private let logger: Logger
    private let metrics: GatewayMetrics?

    public init(filters: [any MessageFilter], configuration: GatewayConfiguration, logger: Logger, metrics: GatewayMetrics? = nil) {
        self.metrics = metrics
        var byName = [String: any MessageFilter]()
        for filter in filters { byName[filter.name] = filter }
        self.filters = byName
        self.configuration = configuration
        self.logger = logger
    }

    /// The actions in the order they run: by stage, then in rule order.
    public func ordered(_ actions: [RuleAction]) -> [RuleAction] {
        actions.enumerated().sorted { lhs, rhs in
            let left = filters[lhs.element.filter]?.stage ?? .check
            let right = filters[rhs.element.filter]?.stage ?? .check
            return left == right ? lhs.offset < rhs.offset : left < right
        }.map(\.element)
    }

    /// Runs `actions` over `work`.
    public func run(_ actions: [RuleAction], on work: FilterWork) async -> Outcome {
        var current = work
        for action in ordered(actions) {
            let settings = configuration.settings(forFilter: action.filter)
            var log = logger
            log[metadataKey: "mail.queue_id"] = "\(work.queueID ?? "-")"
            log[metadataKey: "filter"] = "\(action.filter)"
            log[metadataKey: "rule"] = "\(action.rule)"
            guard let filter = filters[action.filter] else {
                let reason = "filter not available in this build"
                if settings.onError == .accept {
                    log.warning("filter skipped", metadata: ["reason": "\(reason)", "on_error": "accept"])
                    continue
                }
                log.error("filter failed", metadata: ["reason": "\(reason)", "on_error": "\(settings.onError.rawValue)"])
                return .failed(filter: action.filter, reason: reason, action: settings.onError)
            }
            let clock = ContinuousClock()
            let started = clock.now
            do {
                // The rule's parameters over the filter's settings (`filters.<name>`).
                let parameters = settings.parameters.merging(action.parameters) { _, rule in rule }
                let before = current.notes.count
                current = try await Self.withTimeout(settings.timeout, filter: action.filter) { [current] in
                    try await filter.run(current, parameters: parameters)
                }
                for note in current.notes.dropFirst(before) { log.info("filter note", metadata: ["note": "\(note)"]) }
                let elapsed = clock.now - started
                metrics?.filter(action.filter, duration: elapsed)
                log.debug("filter done", metadata: ["ms": "\(elapsed.milliseconds)"])
            } catch {
                let reason = "\(error)"
                if settings.onError == .accept {
                    log.warning("filter failed, message passed on", metadata: ["reason": "\(reason)", "on_error": "accept"])
                    continue
                }
                log.error("filter failed", metadata: ["reason": "\(reason)", "on_error": "\(settings.onError.rawValue)"])
                return .failed(filter: action.filter, reason: reason, action: settings.onError)
            }
            if let verdict = current.verdict {
                log.info("message stopped by filter", metadata: ["verdict": "\(verdict)"])
                return .stopped(verdict, by: action.filter)
            }
        }
        return .deliver(current)
    }

    /// Runs `body` and gives up after `limit` (the work is cancelled).
    static func withTimeout<T: Sendable>(_ limit: Duration, filter: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: limit)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else {
                throw FilterError(filter: filter, reason: "timed out after \(limit)")
            }
            return value
        }
    }
}

extension Duration {
    var milliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }
}

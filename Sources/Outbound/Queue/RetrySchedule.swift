/// When to try again after a transient failure, and when to give up.
///
/// The n-th retry waits `initialDelay × factor^(n−1)`, at most `maximumDelay`, shortened by up
/// to `jitter` of itself (a random fraction, so entries that failed together spread out). An
/// entry older than `maximumAge` at a failed attempt is given up: its deferred recipients fail
/// permanently and the failure policy applies. The last retry is never scheduled later than the
/// moment the entry reaches `maximumAge`.
public struct RetrySchedule: Hashable, Sendable {
    /// The first delay: 5 minutes.
    public var initialDelay: Duration
    /// Each further delay is this many times the previous: 2.
    public var factor: Double
    /// The longest delay: 1 hour.
    public var maximumDelay: Duration
    /// The fraction (0–1) by which a delay is randomly shortened: 0.1.
    public var jitter: Double
    /// How long a message may stay queued: 5 days.
    public var maximumAge: Duration

    /// Creates a schedule (defaults as above, close to Postfix's).
    public init(
        initialDelay: Duration = .seconds(300),
        factor: Double = 2,
        maximumDelay: Duration = .seconds(3600),
        jitter: Double = 0.1,
        maximumAge: Duration = .seconds(5 * 86_400)
    ) {
        self.initialDelay = initialDelay
        self.factor = factor
        self.maximumDelay = maximumDelay
        self.jitter = jitter
        self.maximumAge = maximumAge
    }

    /// Checks the values once.
    /// - Throws: ``SMTPConfigurationError`` naming the key.
    public func validate() throws(SMTPConfigurationError) {
        guard initialDelay > .zero else { throw SMTPConfigurationError(field: "retry.initial_delay", problem: "must be > 0") }
        guard factor >= 1 else { throw SMTPConfigurationError(field: "retry.factor", problem: "must be ≥ 1") }
        guard maximumDelay >= initialDelay else {
            throw SMTPConfigurationError(field: "retry.maximum_delay", problem: "must be ≥ retry.initial_delay")
        }
        guard (0...1).contains(jitter) else { throw SMTPConfigurationError(field: "retry.jitter", problem: "must be between 0 and 1") }
        guard maximumAge > .zero else { throw SMTPConfigurationError(field: "retry.maximum_age", problem: "must be > 0") }
    }

    /// The delay after the `attempt`-th failed attempt (1-based), before jitter.
    public func baseDelay(afterAttempt attempt: Int) -> Duration {
        let initial = initialDelay.seconds
        let cap = maximumDelay.seconds
        var delay = initial
        for _ in 1..<max(1, attempt) {
            delay *= factor
            if delay >= cap { return maximumDelay }
        }
        return .seconds(min(delay, cap))
    }

    /// The delay after the `attempt`-th failed attempt, with jitter from `random`.
    public func delay(afterAttempt attempt: Int, using random: inout some RandomNumberGenerator) -> Duration {
        let base = baseDelay(afterAttempt: attempt).seconds
        let shortening = jitter > 0 ? Double.random(in: 0..<jitter, using: &random) : 0
        return .seconds(base * (1 - shortening))
    }

    /// The planned delays of the first `count` retries without jitter (for docs and `--help`).
    public func plannedDelays(_ count: Int) -> [Duration] {
        (1...max(1, count)).map { baseDelay(afterAttempt: $0) }
    }
}

extension Duration {
    /// The duration in seconds, as a Double.
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}

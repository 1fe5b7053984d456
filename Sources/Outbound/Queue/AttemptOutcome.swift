import Foundation

/// What one delivery attempt means for an entry, worked out without I/O: the new state of each
/// recipient, and whether the entry is retried (when) or complete.
///
/// Rules: delivered recipients are done and never sent again; a permanent error fails the
/// recipient; a transient error defers it. When some recipient is deferred and the entry has
/// reached the schedule's maximum age, the deferred recipients fail too ("expired"). An entry
/// with nobody left to try is complete. Recipients that fail go to the failure policy right after
/// the attempt that failed them (``newlyFailed``), not when the entry completes.
struct AttemptOutcome: Sendable {
    /// Retry or complete.
    enum Decision: Hashable, Sendable {
        /// Some recipients are deferred: try again at this time (Unix seconds).
        case retry(at: Double)
        /// Nobody is left to try.
        case complete
    }

    /// Every recipient of the entry with its new state (those not attempted unchanged).
    var recipients: [RecipientRecord]
    /// The entry's attempt count after this attempt.
    var attempts: Int
    /// A summary of this attempt's errors for `queue list`, or `nil` when there were none.
    var lastError: String?
    /// Retry or complete.
    var decision: Decision
    /// Recipients delivered, deferred and failed in this attempt (for counters and logs).
    var delivered = 0
    var deferred = 0
    var failed = 0

    /// The recipients that failed for good (this attempt or earlier).
    var failedRecipients: [RecipientRecord] { recipients.filter { $0.state == .failed } }

    /// The failed recipients no report has covered yet: reported right after this attempt.
    var newlyFailed: [RecipientRecord] { recipients.filter { $0.state == .failed && !$0.reported } }

    /// Works out the outcome of an attempt on `entry`.
    /// - Parameters:
    ///   - results: the outcome per attempted recipient, by recipient id; recipients missing
    ///     here were not attempted and keep their state.
    init(
        entry: EntryRecord,
        recipients: [RecipientRecord],
        results: [Int64: RecipientResult.Outcome],
        now: Double,
        schedule: RetrySchedule,
        random: inout some RandomNumberGenerator
    ) {
        var updated = recipients
        var errors: [String] = []
        for index in updated.indices {
            guard let id = updated[index].id, let outcome = results[id] else { continue }
            updated[index].updatedAt = now
            switch outcome {
            case .delivered(let response):
                updated[index].state = .delivered
                updated[index].lastResponse = response.description
                updated[index].enhancedCode = response.enhancedCode?.description
            case .failed(let error):
                updated[index].state = error.isTransient ? .deferred : .failed
                updated[index].lastResponse = error.description
                updated[index].enhancedCode = error.enhancedCode.description
                if !errors.contains(error.description) { errors.append(error.description) }
            }
        }
        attempts = entry.attempts + (results.isEmpty ? 0 : 1)
        lastError = errors.isEmpty ? nil : errors.joined(separator: "; ")

        let expiry = entry.createdAt + schedule.maximumAge.seconds
        var expired = Set<Int64>()
        let stillDeferred = updated.contains { $0.state == .deferred || $0.state == .pending }
        if stillDeferred, now >= expiry {
            for index in updated.indices where updated[index].state == .deferred || updated[index].state == .pending {
                let last = updated[index].lastResponse ?? "no attempt succeeded"
                updated[index].state = .failed
                updated[index].lastResponse = "gave up after \(attempts) attempts in \(Self.format(now - entry.createdAt)): \(last)"
                updated[index].updatedAt = now
                expired.insert(updated[index].id ?? -1)
            }
        }
        self.recipients = updated
        for recipient in updated where results[recipient.id ?? -1] != nil || expired.contains(recipient.id ?? -1) {
            switch recipient.state {
            case .delivered: delivered += 1
            case .deferred, .pending: deferred += 1
            case .failed: failed += 1
            }
        }
        if updated.contains(where: { $0.state == .deferred || $0.state == .pending }) {
            let delay = schedule.delay(afterAttempt: max(1, attempts), using: &random).seconds
            decision = .retry(at: min(now + delay, expiry))
        } else {
            decision = .complete
        }
    }

    /// `3h 20m`, `45s`.
    static func format(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        if total < 60 { return "\(total)s" }
        if total < 3600 { return "\(total / 60)m \(total % 60)s" }
        if total < 86_400 { return "\(total / 3600)h \(total % 3600 / 60)m" }
        return "\(total / 86_400)d \(total % 86_400 / 3600)h"
    }
}

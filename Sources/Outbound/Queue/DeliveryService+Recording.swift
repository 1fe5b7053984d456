import Foundation
import Logging

extension DeliveryService {
    /// Records an attempt in two steps, so that what a server accepted is never sent again. (An
    /// entry complete with nothing delivered in this attempt and nothing to report needs one:
    /// removing it records everything.)
    ///
    /// 1. The recipients' new states, the attempt count and the next due time are committed in a
    ///    transaction of their own. If that fails (database locked, full, I/O error) the outcome
    ///    is kept in memory and the write retried with a growing pause (1 s doubling to 60 s) until
    ///    it succeeds or the task is cancelled; the entry stays leased meanwhile, so it is never
    ///    released with its delivered recipients unsaved.
    /// 2. Newly failed recipients are reported (the report spooled, then queued in the same
    ///    transaction that marks them reported), and the entry is removed when complete or its
    ///    lease released. If that fails (the report cannot be spooled, the database refuses),
    ///    the entry backs off: it is released, due after the retry schedule's delay, and the next
    ///    attempt repeats step 2 without sending anything to recipients already done.
    ///
    /// With `completions`, an entry kept in its row that is now delivered in full, with nothing
    /// to report, is not removed here: it joins `completions`, committed with others (its
    /// journal line stands until then).
    ///
    /// - Returns: `false` when step 1 did not go through at the first try (the caller should stop
    ///   using the database for this batch), else `true`.
    @discardableResult
    func record(_ leased: LeasedEntry, results: [Int64: RecipientResult.Outcome], owner: String, completions: DeliveredEntries? = nil) async -> Bool {
        // First of all, before anything that can wait: what the server accepted.
        let accepted = results.compactMap { id, outcome -> Int64? in
            if case .delivered = outcome { return id }
            return nil
        }
        let journaled = !accepted.isEmpty && journal.append([leased.id] + accepted.sorted())
        // The journal line may go once the outcome is in the database (not when it could not be saved).
        var persisted = false
        defer { if journaled && persisted { journal.committed() } }
        let logger = entryLogger(leased)
        let now = queue.clock.now().timeIntervalSince1970
        var random = SystemRandomNumberGenerator()
        let outcome = AttemptOutcome(
            entry: leased.entry, recipients: leased.recipients, results: results, now: now, schedule: configuration.retry(for: leased.entry.destination), random: &random
        )
        let backOffUntil = now + configuration.retry(for: leased.entry.destination).delay(afterAttempt: max(1, outcome.attempts), using: &random).seconds
        let dueAgain: Double
        switch outcome.decision {
        case .retry(let at): dueAgain = at
        case .complete: dueAgain = backOffUntil
        }
        metrics.record(outcome, destination: leased.entry.destination)
        for recipient in outcome.recipients where results[recipient.id ?? -1] != nil && recipient.state != .delivered {
            logger.info("recipient not delivered", metadata: [
                "outbound.recipient": "\(recipient.address)", "outbound.state": "\(recipient.state.rawValue)",
                "outbound.reply": "\(recipient.lastResponse ?? "")",
            ])
        }
        let inline = leased.content != nil
        if outcome.decision == .complete, outcome.newlyFailed.isEmpty, outcome.delivered == 0 || inline {
            if inline, journaled, let completions {
                completions.append(DeliveredEntries.Entry(leased: leased, outcome: outcome, logger: logger))
                return true
            }
            // Nothing to report: removing the entry records everything, in one transaction (for
            // a message kept in its row, not waiting for the disk: the journal noted it first).
            let saved = await save(outcome, logger: logger) {
                try await queue.finishAttempt(leased, report: nil, reported: [], complete: true, owner: owner, durable: !(inline && outcome.delivered > 0)) != nil
            }
            if saved.found { logComplete(outcome, report: "none", logger: logger) }
            persisted = saved.written
            return saved.atFirstTry
        }
        let saved = await save(outcome, logger: logger) {
            try await queue.recordAttempt(leased.id, outcome: outcome, nextAttemptAt: dueAgain, owner: owner)
        }
        persisted = saved.written
        guard saved.found else { return saved.atFirstTry }
        await reportAndRelease(leased, outcome: outcome, now: now, backOffUntil: backOffUntil, owner: owner, logger: logger)
        return saved.atFirstTry
    }

    /// The pause before the `failures`-th retry of step 1: 1 s, 2 s, 4 s … at most 60 s.
    static func saveRetryDelay(afterFailures failures: Int) -> Duration {
        .seconds(min(60, 1 << min(max(failures, 1) - 1, 6)))
    }

    /// Step 1, retried until it goes through (or the task is cancelled). `write` returns whether
    /// the entry was still there, leased by this service.
    func save(
        _ outcome: AttemptOutcome,
        logger: Logger,
        write: () async throws -> Bool
    ) async -> (found: Bool, atFirstTry: Bool, written: Bool) {
        var failures = 0
        while true {
            do {
                let found = try await write()
                if !found { logger.warning("entry gone or no longer leased; outcome not recorded") }
                return (found, failures == 0, true)
            } catch {
                failures += 1
                if Task.isCancelled {
                    logger.critical(
                        "delivery outcome not recorded; the entry stays leased and its delivered recipients may be sent again after a restart",
                        metadata: ["error": "\(error)", "outbound.delivered": "\(outcome.delivered)"]
                    )
                    return (false, false, false)
                }
                let delay = Self.saveRetryDelay(afterFailures: failures)
                logger.error("cannot record delivery outcome; kept in memory, retrying", metadata: [
                    "error": "\(error)", "outbound.retry_in": "\(delay)", "outbound.failures": "\(failures)",
                ])
                try? await Task.sleep(for: delay)
            }
        }
    }

    /// Step 2: report newly failed recipients, then complete the entry or release it; back off
    /// when that fails.
    private func reportAndRelease(
        _ leased: LeasedEntry,
        outcome: AttemptOutcome,
        now: Double,
        backOffUntil: Double,
        owner: String,
        logger: Logger
    ) async {
        let newlyFailed = outcome.newlyFailed
        let complete = outcome.decision == .complete
        do {
            let report = newlyFailed.isEmpty ? nil : try await makeReport(for: leased, failures: newlyFailed, logger: logger)
            let reportID = try await queue.finishAttempt(
                leased, report: report, reported: newlyFailed.compactMap(\.id), complete: complete, owner: owner
            )
            if let reportID, reportID > 0 { metrics.recordReportQueued() }
            let reportText = reportID.map { $0 > 0 ? "\($0)" : "none" } ?? "entry gone"
            switch outcome.decision {
            case .retry(let at):
                logger.info("delivery deferred", metadata: [
                    "outbound.delivered": "\(outcome.delivered)", "outbound.deferred": "\(outcome.deferred)",
                    "outbound.failed": "\(outcome.failed)", "outbound.attempts": "\(outcome.attempts)",
                    "outbound.next_attempt_in": "\(AttemptOutcome.format(at - now))", "outbound.report": "\(reportText)",
                ])
            case .complete:
                logComplete(outcome, report: reportText, logger: logger)
            }
        } catch {
            logger.error("cannot queue the failure report or complete the entry; backing off", metadata: [
                "error": "\(error)", "outbound.next_attempt_in": "\(AttemptOutcome.format(backOffUntil - now))",
            ])
            do {
                try await queue.backOff(leased.id, until: backOffUntil, reason: "recording the outcome failed, backing off: \(error)", owner: owner)
            } catch {
                logger.error("cannot back off; the entry stays leased until the service restarts", metadata: ["error": "\(error)"])
            }
        }
    }

    func logComplete(_ outcome: AttemptOutcome, report: String, logger: Logger) {
        logger.info("delivery complete", metadata: [
            "outbound.delivered": "\(outcome.recipients.filter { $0.state == .delivered }.count)",
            "outbound.failed": "\(outcome.failedRecipients.count)", "outbound.attempts": "\(outcome.attempts)",
            "outbound.report": "\(report)",
        ])
    }

    /// Spools a report on `failures` when the policy wants one; `nil` (logged) when it does not.
    private func makeReport(for leased: LeasedEntry, failures: [RecipientRecord], logger: Logger) async throws -> SpooledReport? {
        let sender = (try? SMTPAddress(leased.entry.sender)) ?? .null
        let policy = configuration.failurePolicy(for: leased.entry.destination)
        guard let recipient = policy.reportRecipient(sender: sender, isReport: leased.entry.isReport) else {
            // A copy given up on is an operator's problem: critical, so alerting sees it.
            logger.log(level: leased.entry.destination == nil ? .warning : .critical, "permanent failure not reported", metadata: [
                "outbound.policy": "\(policy)", "outbound.failed": "\(failures.map(\.address).joined(separator: ","))",
                "outbound.reason": "\(leased.entry.isReport ? "a report is never reported on" : sender.isNull ? "null sender" : "policy drop")",
            ])
            return nil
        }
        let headers: [UInt8]
        if let content = leased.content {
            let bytes = [UInt8](content.prefix(64 * 1024))
            headers = SpoolDirectory.endOfHeaders(bytes).map { Array(bytes[..<$0]) } ?? bytes
        } else {
            headers = (try? await queue.spool.headerSection(of: leased.entry.spoolName)) ?? []
        }
        let report = DeliveryReport(
            reportingName: configuration.client.heloName,
            recipient: recipient,
            originalSender: sender,
            failures: failures.map {
                DeliveryReport.FailedRecipient(address: $0.address, enhancedCode: $0.enhancedCode, diagnostic: $0.lastResponse ?? "failed")
            },
            arrivalDate: Date(timeIntervalSince1970: leased.entry.createdAt),
            originalHeaders: headers,
            originalQueueID: leased.entry.originQueueId,
            boundary: "sekisho-report-\(UUID().uuidString.lowercased())",
            date: queue.clock.now()
        )
        let stored = try await queue.spool.store(.bytes(report.message))
        let request = EnqueueRequest(
            sender: .null,
            recipients: [recipient],
            message: .bytes([]),
            // Through the default relay as it is configured when the report goes out; without one,
            // the way the original went.
            relay: configuration.defaultRelay == nil ? leased.entry.relay.flatMap(queue.relayKeys.relay(for:)) : nil,
            origin: "report",
            originQueueID: leased.entry.originQueueId
        )
        return SpooledReport(request: request, spoolName: stored.name, properties: stored.properties)
    }
}

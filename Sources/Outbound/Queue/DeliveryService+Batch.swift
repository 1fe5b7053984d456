import Foundation
import Logging

extension DeliveryService {
    /// The session ended after a message's failure; the batch's other entries are given back.
    private struct SessionEnded: Error {}

    /// Delivers one batch over one connection and records every outcome.
    func deliver(_ batch: [LeasedEntry], owner: String, stop: StopFlag) async {
        // An entry's own relay, else the default; an unreadable relay never falls back to the default.
        let relay = batch[0].entry.relay == nil ? configuration.defaultRelay : batch[0].entry.decodedRelay
        guard let relay else {
            let detail = batch[0].entry.relay == nil ? "no default relay configured" : "the entry's relay cannot be read"
            let error = SMTPClientError(.connectionFailed, phase: .connect, isTransient: true, detail: detail)
            for leased in batch { await finishAttempt(leased, results: Self.allFailed(leased, error), owner: owner) }
            return
        }
        var waiting = batch[...]
        var sessionOpened = false
        do {
            try await client.withSession(to: relay) { session in
                sessionOpened = true
                while let leased = waiting.first, !stop.isSet {
                    waiting.removeFirst()
                    let open = leased.openRecipients
                    guard !open.isEmpty else {
                        await finishAttempt(leased, results: [:], owner: owner)
                        continue
                    }
                    let message = OutboundMessage(
                        sender: (try? SMTPAddress(leased.entry.sender)) ?? .null,
                        recipients: open.map { (try? SMTPAddress($0.address)) ?? .null },
                        body: .file(path: queue.spool.messagePath(leased.entry.spoolName)),
                        properties: MessageProperties(size: leased.entry.size, hasEightBitBytes: leased.entry.hasEightBitBytes)
                    )
                    do throws(SMTPClientError) {
                        let result = try await session.send(message)
                        var results: [Int64: RecipientResult.Outcome] = [:]
                        for (recipient, outcome) in zip(open, result.recipients) { results[recipient.id ?? -1] = outcome.outcome }
                        await finishAttempt(leased, results: results, owner: owner)
                    } catch {
                        await finishAttempt(leased, results: Self.allFailed(leased, error), owner: owner)
                        throw SessionEnded()
                    }
                }
            }
        } catch let error as SMTPClientError where !sessionOpened {
            for leased in waiting { await finishAttempt(leased, results: Self.allFailed(leased, error), owner: owner) }
            return
        } catch is SessionEnded {
        } catch {
            logger.warning("delivery session ended", metadata: ["outbound.relay": "\(relay.address)", "error": "\(error)"])
        }
        await giveBack(Array(waiting), owner: owner)
    }

    private func giveBack(_ entries: [LeasedEntry], owner: String) async {
        guard !entries.isEmpty else { return }
        do {
            try await queue.release(entries.map(\.id), owner: owner)
        } catch {
            logger.error("cannot release leases", metadata: ["error": "\(error)", "outbound.entries": "\(entries.map(\.id))"])
        }
    }

    private static func allFailed(_ leased: LeasedEntry, _ error: SMTPClientError) -> [Int64: RecipientResult.Outcome] {
        var results: [Int64: RecipientResult.Outcome] = [:]
        for recipient in leased.openRecipients { results[recipient.id ?? -1] = .failed(error) }
        return results
    }

    /// Records an attempt: retry later, or complete (with a report for failed recipients).
    func finishAttempt(_ leased: LeasedEntry, results: [Int64: RecipientResult.Outcome], owner: String) async {
        var logger = self.logger
        logger[metadataKey: "outbound.entry"] = "\(leased.id)"
        if let queueID = leased.entry.originQueueId { logger[metadataKey: "mail.queue_id"] = "\(queueID)" }
        let now = queue.clock.now().timeIntervalSince1970
        var random = SystemRandomNumberGenerator()
        let outcome = AttemptOutcome(
            entry: leased.entry, recipients: leased.recipients, results: results, now: now, schedule: configuration.retry, random: &random
        )
        metrics.record(outcome)
        for recipient in outcome.recipients where results[recipient.id ?? -1] != nil && recipient.state != .delivered {
            logger.info("recipient not delivered", metadata: [
                "outbound.recipient": "\(recipient.address)", "outbound.state": "\(recipient.state.rawValue)",
                "outbound.reply": "\(recipient.lastResponse ?? "")",
            ])
        }
        do {
            switch outcome.decision {
            case .retry(let at):
                try await queue.recordRetry(leased.id, outcome: outcome, nextAttemptAt: at, owner: owner)
                logger.info("delivery deferred", metadata: [
                    "outbound.delivered": "\(outcome.delivered)", "outbound.deferred": "\(outcome.deferred)",
                    "outbound.failed": "\(outcome.failed)", "outbound.attempts": "\(outcome.attempts)",
                    "outbound.next_attempt_in": "\(AttemptOutcome.format(at - now))",
                ])
            case .complete:
                let report = try await makeReport(for: leased, failures: outcome.failedRecipients)
                let reportID = try await queue.complete(leased, report: report, owner: owner)
                logger.info("delivery complete", metadata: [
                    "outbound.delivered": "\(outcome.recipients.filter { $0.state == .delivered }.count)",
                    "outbound.failed": "\(outcome.failedRecipients.count)", "outbound.attempts": "\(outcome.attempts)",
                    "outbound.report": "\(reportID.map { $0 > 0 ? "\($0)" : "none" } ?? "entry gone")",
                ])
                if let reportID, reportID > 0 { metrics.recordReportQueued() }
            }
        } catch {
            logger.error("cannot record delivery outcome", metadata: ["error": "\(error)"])
            await giveBack([leased], owner: owner)
        }
    }

    /// Spools a report on `failures` when the policy wants one.
    private func makeReport(for leased: LeasedEntry, failures: [RecipientRecord]) async throws -> SpooledReport? {
        let sender = (try? SMTPAddress(leased.entry.sender)) ?? .null
        guard !failures.isEmpty else { return nil }
        guard let recipient = configuration.failurePolicy.reportRecipient(sender: sender, isReport: leased.entry.isReport) else {
            logger.warning("permanent failure not reported", metadata: [
                "outbound.policy": "\(configuration.failurePolicy)",
                "outbound.reason": "\(leased.entry.isReport ? "a report is never reported on" : sender.isNull ? "null sender" : "policy drop")",
            ])
            return nil
        }
        let headers = (try? await queue.spool.headerSection(of: leased.entry.spoolName)) ?? []
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
            relay: configuration.defaultRelay == nil ? leased.entry.decodedRelay : nil,
            origin: "report",
            originQueueID: leased.entry.originQueueId
        )
        return SpooledReport(request: request, spoolName: stored.name, properties: stored.properties)
    }
}

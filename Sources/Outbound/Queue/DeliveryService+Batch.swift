import Foundation
import Logging
import NIOCore

extension DeliveryService {
    /// The session ended after a message's failure; the batch's other entries are given back.
    private struct SessionEnded: Error {}

    /// Delivers one batch over one connection and records every outcome.
    ///
    /// Entries whose message file cannot be opened are held first (``hold(_:problem:owner:)``);
    /// no connection is made for them. A failed RSET gives the message back with the rest of the
    /// batch, uncounted: nothing of it was sent. When recording an outcome ran into a database
    /// error the batch stops and the rest is given back.
    func deliver(_ batch: [LeasedEntry], owner: String, stop: StopFlag) async {
        var ready: [LeasedEntry] = []
        for leased in batch {
            do {
                if leased.entry.content == nil { try await queue.spool.checkReadable(leased.entry.spoolName) }
                ready.append(leased)
            } catch {
                await hold(leased, problem: "\(error)", owner: owner)
            }
        }
        // Entries with nobody left to send to only need their outcome finished (a report that
        // could not be queued before, say): no connection for them.
        for leased in ready where leased.openRecipients.isEmpty {
            await record(leased, results: [:], owner: owner)
        }
        ready.removeAll { $0.openRecipients.isEmpty }
        guard let first = ready.first else { return }
        // An entry's own relay, else the default; an unreadable relay never falls back to the default.
        let relay = first.entry.relay == nil ? configuration.defaultRelay : first.entry.decodedRelay
        guard let relay else {
            let detail = first.entry.relay == nil ? "no default relay configured" : "the entry's relay cannot be read"
            let error = SMTPClientError(.connectionFailed, phase: .connect, isTransient: true, detail: detail)
            for leased in ready { await record(leased, results: Self.allFailed(leased, error), owner: owner) }
            return
        }
        var waiting = ready[...]
        var sessionOpened = false
        do {
            try await client.withSession(to: relay) { session in
                sessionOpened = true
                while let leased = waiting.first, !stop.isSet {
                    waiting.removeFirst()
                    let open = leased.openRecipients
                    let message = OutboundMessage(
                        sender: (try? SMTPAddress(leased.entry.sender)) ?? .null,
                        recipients: open.map { (try? SMTPAddress($0.address)) ?? .null },
                        body: leased.entry.content.map { .bytes(ByteBuffer(bytes: $0)) } ?? .file(path: queue.spool.messagePath(leased.entry.spoolName)),
                        properties: MessageProperties(size: leased.entry.size, hasEightBitBytes: leased.entry.hasEightBitBytes)
                    )
                    let result: TransactionResult
                    do throws(SMTPClientError) {
                        result = try await session.send(message)
                    } catch {
                        if error.phase == .reset {
                            // The session, not this message, failed: nothing of it was sent.
                            waiting.insert(leased, at: waiting.startIndex)
                            throw SessionEnded()
                        }
                        if error.code == .messageUnreadable, error.phase == .mail {
                            // The file vanished since the check; nothing was sent and the session is fine.
                            await hold(leased, problem: error.detail, owner: owner)
                            continue
                        }
                        await record(leased, results: Self.allFailed(leased, error), owner: owner)
                        throw SessionEnded()
                    }
                    var results: [Int64: RecipientResult.Outcome] = [:]
                    for (recipient, outcome) in zip(open, result.recipients) { results[recipient.id ?? -1] = outcome.outcome }
                    guard await record(leased, results: results, owner: owner) else { throw SessionEnded() }
                }
            }
        } catch let error as SMTPClientError where !sessionOpened {
            for leased in waiting { await record(leased, results: Self.allFailed(leased, error), owner: owner) }
            return
        } catch is SessionEnded {
        } catch {
            logger.warning("delivery session ended", metadata: ["outbound.relay": "\(relay.address)", "error": "\(error)"])
        }
        await giveBack(Array(waiting), owner: owner)
    }

    /// Gives entries back without counting an attempt: due again at once.
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

    /// Holds an entry whose message file is missing or unreadable: a local fault, not the
    /// recipients'. Nothing is sent and nothing bounced; an attempt is counted and the entry is
    /// due again after the retry schedule's delay, whatever its age, until the file is back or
    /// the entry is dropped. Logged as critical (`outbound.alert=spool`) every time.
    func hold(_ leased: LeasedEntry, problem: String, owner: String) async {
        var logger = entryLogger(leased)
        let now = queue.clock.now().timeIntervalSince1970
        var random = SystemRandomNumberGenerator()
        let attempts = leased.entry.attempts + 1
        let delay = configuration.retry.delay(afterAttempt: attempts, using: &random).seconds
        logger[metadataKey: "outbound.alert"] = "spool"
        logger.critical("message file missing or unreadable; entry held, nothing sent", metadata: [
            "outbound.file": "\(queue.spool.messagePath(leased.entry.spoolName))", "error": "\(problem)",
            "outbound.next_attempt_in": "\(AttemptOutcome.format(delay))",
        ])
        do {
            try await queue.hold(leased.id, attempts: attempts, until: now + delay, reason: "message file unreadable, held: \(problem)", owner: owner)
        } catch {
            logger.error("cannot hold the entry", metadata: ["error": "\(error)"])
        }
    }

    /// The service's logger with the entry's id and the MTA's queue id.
    func entryLogger(_ leased: LeasedEntry) -> Logger {
        var logger = self.logger
        logger[metadataKey: "outbound.entry"] = "\(leased.id)"
        if let queueID = leased.entry.originQueueId { logger[metadataKey: "mail.queue_id"] = "\(queueID)" }
        if let destination = leased.entry.destination { logger[metadataKey: "outbound.destination"] = "\(destination)" }
        logger[metadataKey: "outbound.attempt"] = "\(leased.entry.attempts + 1)"
        logger[metadataKey: "outbound.relay"] = "\((leased.entry.relay == nil ? configuration.defaultRelay : leased.entry.decodedRelay)?.address ?? "none")"
        return logger
    }
}

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
    ///
    /// Once the batch is sent the connection stays open for
    /// ``DeliveryServiceConfiguration/connectionIdleTime``, taking the entries for the same relay
    /// that become due meanwhile (``WorkArrivals``), up to
    /// ``DeliveryServiceConfiguration/connectionMessageLimit`` messages.
    func deliver(_ batch: [LeasedEntry], owner: String, stop: StopFlag) async {
        let ready = await prepare(batch, owner: owner)
        guard let first = ready.first else { return }
        // An entry's own relay, else the default; an unreadable relay never falls back to the default.
        let relay = relay(of: first)
        guard let relay else {
            let detail = first.entry.relay == nil ? "no default relay configured" : "the entry's relay cannot be read"
            let error = SMTPClientError(.connectionFailed, phase: .connect, isTransient: true, detail: detail)
            for leased in ready { await record(leased, results: Self.allFailed(leased, error), owner: owner) }
            return
        }
        var waiting = ready[...]
        var sessionOpened = false
        // Copies delivered in full, removed together (see DeliveredEntries).
        let completions = DeliveredEntries()
        do {
            try await client.withSession(to: relay) { session in
                sessionOpened = true
                var sent = 0
                while true {
                    if waiting.isEmpty {
                        guard sent < configuration.connectionMessageLimit,
                            let more = await moreWork(for: first.entry.relay, owner: owner, stop: stop, completions: completions)
                        else { break }
                        waiting = more[...]
                        continue
                    }
                    // (At the limit the rest is given back, uncounted, for a new connection.)
                    guard let leased = waiting.first, !stop.isSet, sent < configuration.connectionMessageLimit else { break }
                    sent += 1
                    waiting.removeFirst()
                    let open = leased.openRecipients
                    let message = OutboundMessage(
                        sender: (try? SMTPAddress(leased.entry.sender)) ?? .null,
                        recipients: open.map { (try? SMTPAddress($0.address)) ?? .null },
                        body: leased.content.map { .bytes(ByteBuffer(bytes: $0)) } ?? .file(path: queue.spool.messagePath(leased.entry.spoolName)),
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
                    guard await record(leased, results: results, owner: owner, completions: completions) else { throw SessionEnded() }
                    if completions.count >= configuration.batchSize { await commit(completions, owner: owner) }
                }
            }
        } catch let error as SMTPClientError where !sessionOpened {
            await commit(completions, owner: owner)
            for leased in waiting { await record(leased, results: Self.allFailed(leased, error), owner: owner) }
            return
        } catch is SessionEnded {
        } catch {
            logger.warning("delivery session ended", metadata: ["outbound.relay": "\(relay.address)", "error": "\(error)"])
        }
        await commit(completions, owner: owner)
        await giveBack(Array(waiting), owner: owner)
    }

    /// Holds the entries whose message file cannot be read and finishes those with nobody left
    /// to send to (a report that could not be queued before, say); returns the rest.
    private func prepare(_ batch: [LeasedEntry], owner: String) async -> [LeasedEntry] {
        var ready: [LeasedEntry] = []
        for leased in batch {
            do {
                if leased.content == nil { try await queue.spool.checkReadable(leased.entry.spoolName) }
                ready.append(leased)
            } catch {
                await hold(leased, problem: "\(error)", owner: owner)
            }
        }
        for leased in ready where leased.openRecipients.isEmpty {
            await record(leased, results: [:], owner: owner)
        }
        return ready.filter { !$0.openRecipients.isEmpty }
    }

    /// More entries for an open connection to `relay` (its stored key): those due now, else
    /// those that become due before the connection has been idle for
    /// ``DeliveryServiceConfiguration/connectionIdleTime``; `nil` when none came, on shutdown, or
    /// when another relay's entries are due (the connection makes way; the service's loop is
    /// woken for them). The completions put off so far are committed with the first lease.
    private func moreWork(for relay: String?, owner: String, stop: StopFlag, completions: DeliveredEntries) async -> [LeasedEntry]? {
        let deadline = ContinuousClock.now + configuration.connectionIdleTime
        guard configuration.connectionIdleTime > .zero, !stop.isSet, !Task.isCancelled else {
            await commit(completions, owner: owner)
            return nil
        }
        while !stop.isSet, !Task.isCancelled {
            // Read before the lease: a pulse after it makes the wait below return at once.
            let generation = arrivals.generation
            let (batch, othersDue) = await lease(owner: owner, relay: .only(relay), completions: completions)
            if othersDue {
                queue.signal.wakeListener()
                return nil
            }
            if let batch {
                let ready = await prepare(batch, owner: owner)
                if !ready.isEmpty { return ready }
                continue
            }
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else { return nil }
            let woken = await arrivals.wait(upTo: remaining, since: generation)
            if woken, configuration.gatherTime > .zero {
                // Mail arrived: give the next few a moment to arrive too, then lease them together.
                await arrivals.gather(for: configuration.gatherTime)
            }
        }
        return nil
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
        // Set at once: a handler may re-render its metadata on every change.
        var metadata = logger.handler.metadata
        metadata["outbound.entry"] = "\(leased.id)"
        if let queueID = leased.entry.originQueueId { metadata["mail.queue_id"] = "\(queueID)" }
        if let destination = leased.entry.destination { metadata["outbound.destination"] = "\(destination)" }
        metadata["outbound.attempt"] = "\(leased.entry.attempts + 1)"
        metadata["outbound.relay"] = "\(relay(of: leased)?.address ?? "none")"
        logger.handler.metadata = metadata
        return logger
    }

    /// An entry's own relay, else the default; `nil` without a default, or when the entry's
    /// relay cannot be read (never the default then).
    func relay(of leased: LeasedEntry) -> SMTPRelay? {
        guard let key = leased.entry.relay else { return configuration.defaultRelay }
        return queue.relayKeys.relay(for: key)
    }
}

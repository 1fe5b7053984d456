import Logging

/// Entries a connection delivered in full whose removal is put off, to be committed together
/// (with the connection's next lease, or when it stops): one transaction for many copies
/// instead of one each.
///
/// Only entries kept in their row whose delivery the delivery journal noted are put off (see
/// ``DeliveryService/record(_:results:owner:completions:)``): until the commit their journal
/// line stands, so a crash in between has them marked delivered at the next start, never sent
/// again. Confined to one delivery task.
final class DeliveredEntries {
    struct Entry {
        var leased: LeasedEntry
        var outcome: AttemptOutcome
        var logger: Logger
    }
    private var entries: [Entry] = []

    var count: Int { entries.count }

    func append(_ entry: Entry) {
        entries.append(entry)
    }

    /// The entries put off so far, handed to a commit.
    func take() -> [Entry] {
        defer { entries.removeAll() }
        return entries
    }
}

extension DeliveryService {
    /// Commits the put-off completions now, in one transaction; on a database error each is
    /// committed on its own, retried until it goes through.
    func commit(_ completions: DeliveredEntries, owner: String) async {
        let entries = completions.take()
        guard !entries.isEmpty else { return }
        do {
            finished(entries, found: try await queue.completeDelivered(entries.map(\.leased.id), owner: owner))
        } catch {
            logger.error("cannot record delivered entries together; recording each", metadata: ["error": "\(error)"])
            await commitEach(entries, owner: owner)
        }
    }

    /// After the commit: logs each entry and lets its journal line go.
    func finished(_ entries: [DeliveredEntries.Entry], found: Set<Int64>) {
        for entry in entries {
            if found.contains(entry.leased.id) {
                logComplete(entry.outcome, report: "none", logger: entry.logger)
            } else {
                entry.logger.warning("entry gone or no longer leased; outcome not recorded")
            }
            journal.committed()
        }
    }

    /// Commits each entry on its own (after the shared commit failed).
    func commitEach(_ entries: [DeliveredEntries.Entry], owner: String) async {
        for entry in entries {
            let saved = await save(entry.outcome, logger: entry.logger) {
                try await queue.finishAttempt(entry.leased, report: nil, reported: [], complete: true, owner: owner, durable: false) != nil
            }
            if saved.found { logComplete(entry.outcome, report: "none", logger: entry.logger) }
            if saved.written { journal.committed() }
        }
    }
}

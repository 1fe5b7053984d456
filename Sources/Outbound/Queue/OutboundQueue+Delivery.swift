import Foundation
import GRDB

/// An entry a delivery service holds a lease on, with all its recipients.
struct LeasedEntry: Sendable {
    var entry: EntryRecord
    var recipients: [RecipientRecord]
    /// The message when it is kept in the database (``OutboundQueue/inlineLimit``), else `nil`
    /// (it is in the spool file `entry.spoolName`).
    var content: Data? = nil

    var id: Int64 { entry.id ?? 0 }

    /// The recipients still to deliver to.
    var openRecipients: [RecipientRecord] { recipients.filter { $0.state == .pending || $0.state == .deferred } }
}

/// Which relay's entries a lease takes.
enum RelayChoice: Sendable {
    /// The relay of the oldest due entry.
    case oldest
    /// Only entries with this relay (its stored key; `nil` for the default relay).
    case only(String?)
}

/// A delivery report already in the spool, to be queued in the same transaction that marks its
/// recipients reported (or removes the entry it reports on).
struct SpooledReport: Sendable {
    var request: EnqueueRequest
    var spoolName: String
    var properties: MessageProperties
}

extension OutboundQueue {
    /// Leases up to `limit` due entries that share one relay (the oldest due entry's), so they can
    /// go over one connection. Entries leased by another owner whose lease has expired count as due;
    /// this owner's own leases never do (it releases them itself).
    ///
    /// The releases answered since the last lease (``releaseAnswered(_:)``) are committed first,
    /// in the same transaction. It is committed with `synchronous = NORMAL`: a lease need not
    /// survive a power failure (every lease is cleared at start), a release is made good then
    /// (see ``release(_:)``).
    ///
    /// - Parameter relay: `.only(key)` takes only entries of that relay (an open connection asking
    ///   for more work); `.oldest` the relay of the oldest due entry.
    func leaseBatch(owner: String, limit: Int, leaseDuration: Duration, relay: RelayChoice = .oldest) async throws -> [LeasedEntry] {
        try await leaseBatch(owner: owner, limit: limit, leaseDuration: leaseDuration, relay: relay, completing: []).entries
    }

    /// ``leaseBatch(owner:limit:leaseDuration:relay:)``, removing `completing` in the same
    /// transaction: entries delivered in full whose removal was put off
    /// (``completeDelivered(_:owner:)``). The result names those found (still leased by `owner`).
    ///
    /// With `.only(relay)` (an open connection asking for more) nothing is leased when entries of
    /// another relay are due (`othersDue`): the connection then makes way for them.
    func leaseBatch(
        owner: String, limit: Int, leaseDuration: Duration, relay: RelayChoice, completing: [Int64]
    ) async throws -> (entries: [LeasedEntry], completed: Set<Int64>, othersDue: Bool) {
        let now = clock.now().timeIntervalSince1970
        let expires = now + leaseDuration.seconds
        let answered = takeAnswered()
        let result: (entries: [LeasedEntry], completed: Set<Int64>, othersDue: Bool)
        do {
            result = try await write(durable: false) { db in
                let completed = try Self.remove(completing, owner: owner, in: db)
                try Self.markReleased(answered.flatMap { $0 }, now: now, in: db)
                if case .only(let key) = relay, try Self.othersDue(than: key, owner: owner, now: now, in: db) {
                    return ([], completed, true)
                }
                return (try Self.lease(owner: owner, limit: limit, relay: relay, now: now, expires: expires, in: db), completed, false)
            }
        } catch {
            returnAnswered(answered)
            throw error
        }
        releasesCommitted(answered)
        return result
    }

    /// Removes entries delivered in full, in one transaction committed with
    /// `synchronous = NORMAL`: only for entries kept in their row whose delivery the delivery
    /// journal noted (lost to a power failure, one is sent again, never lost). Returns the ids
    /// found, still leased by `owner`.
    func completeDelivered(_ ids: [Int64], owner: String) async throws -> Set<Int64> {
        guard !ids.isEmpty else { return [] }
        return try await write(durable: false) { db in try Self.remove(ids, owner: owner, in: db) }
    }

    private static func remove(_ ids: [Int64], owner: String, in db: Database) throws -> Set<Int64> {
        guard !ids.isEmpty else { return [] }
        let delete = try db.cachedStatement(sql: "DELETE FROM outbound_entry WHERE id = ? AND lease_owner = ?")
        var removed = Set<Int64>()
        for id in ids {
            try delete.execute(arguments: [id, owner])
            if db.changesCount > 0 { removed.insert(id) }
        }
        return removed
    }

    /// The lease itself, in raw SQL prepared once per connection (it runs for every batch and
    /// every released copy; the query interface would build and authorize the SQL each time).
    /// Due, not held, not leased (or leased by another owner whose lease expired).
    private static let due = "next_attempt_at <= :now AND held_by IS NULL AND (lease_owner IS NULL OR (lease_owner <> :owner AND lease_expires_at <= :now))"

    /// Whether entries of another relay than `key` are due.
    private static func othersDue(than key: String?, owner: String, now: Double, in db: Database) throws -> Bool {
        let other = try db.cachedStatement(sql: "SELECT 1 FROM outbound_entry WHERE \(due) AND relay IS NOT :relay LIMIT 1")
        return try Row.fetchOne(other, arguments: ["now": now, "owner": owner, "relay": key]) != nil
    }

    private static func lease(owner: String, limit: Int, relay choice: RelayChoice, now: Double, expires: Double, in db: Database) throws -> [LeasedEntry] {
        let relay: String?
        switch choice {
        case .only(let key):
            relay = key
        case .oldest:
            let first = try db.cachedStatement(sql: "SELECT relay FROM outbound_entry WHERE \(due) ORDER BY next_attempt_at, id LIMIT 1")
            guard let row = try Row.fetchOne(first, arguments: ["now": now, "owner": owner]) else { return [] }
            relay = row[0]
        }
        let select = try db.cachedStatement(sql: "SELECT * FROM outbound_entry WHERE \(due) AND relay IS :relay ORDER BY next_attempt_at, id LIMIT :limit")
        let batch = try EntryRecord.fetchAll(select, arguments: ["now": now, "owner": owner, "relay": relay, "limit": limit])
        let update = try db.cachedStatement(sql: "UPDATE outbound_entry SET lease_owner = ?, lease_expires_at = ? WHERE id = ?")
        let recipients = try db.cachedStatement(sql: "SELECT * FROM outbound_recipient WHERE entry_id = ? ORDER BY id")
        let content = try db.cachedStatement(sql: "SELECT content FROM outbound_content WHERE entry_id = ?")
        return try batch.map { record in
            let id = record.id ?? 0
            try update.execute(arguments: [owner, expires, id])
            var leased = record
            leased.leaseOwner = owner
            leased.leaseExpiresAt = expires
            return LeasedEntry(
                entry: leased,
                recipients: try RecipientRecord.fetchAll(recipients, arguments: [id]),
                content: SpoolDirectory.isInline(record.spoolName) ? try Data.fetchOne(content, arguments: [id]) : nil
            )
        }
    }

    /// Gives entries back without counting an attempt (shutdown, or the batch's connection broke
    /// before their turn). They are due again at once.
    func release(_ ids: [Int64], owner: String) async throws {
        guard !ids.isEmpty else { return }
        _ = try await database.write { db in
            try EntryRecord.filter(keys: ids).filter(Column("lease_owner") == owner).updateAll(
                db,
                Column("lease_owner").set(to: nil),
                Column("lease_expires_at").set(to: nil)
            )
        }
    }

    /// Marks recipients delivered that the delivery journal names (a runner was killed between a
    /// server's `250` and its commit); returns how many changed. Entries gone are skipped.
    func markDelivered(_ noted: [(entry: Int64, recipients: [Int64])]) async throws -> Int {
        guard !noted.isEmpty else { return 0 }
        let now = clock.now().timeIntervalSince1970
        return try await database.write { db in
            var changed = 0
            for (entry, recipients) in noted {
                changed += try RecipientRecord
                    .filter(Column("entry_id") == entry && recipients.contains(Column("id")) && Column("state") != RecipientState.delivered.rawValue)
                    .updateAll(
                        db, Column("state").set(to: RecipientState.delivered.rawValue),
                        Column("last_response").set(to: "accepted (recovered from the delivery journal after a restart)"),
                        Column("updated_at").set(to: now)
                    )
            }
            return changed
        }
    }

    /// Runs `body` in a transaction, committed with `synchronous = FULL`, or `NORMAL` when not
    /// `durable`.
    func write<T: Sendable>(durable: Bool, _ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        guard !durable else { return try await database.write(body) }
        return try await database.writeWithoutTransaction { db in
            try db.cachedStatement(sql: "PRAGMA synchronous = NORMAL").execute()
            defer { try? db.cachedStatement(sql: "PRAGMA synchronous = FULL").execute() }
            var result: T?
            try db.inTransaction {
                result = try body(db)
                return .commit
            }
            guard let result else { throw OutboundQueueError("the transaction returned nothing") }
            return result
        }
    }

    /// Clears every lease and returns how many there were. Only safe while holding the runner
    /// lock (no other runner is alive), so entries a crashed runner held become due again.
    func releaseAllLeases() async throws -> Int {
        try await releaseLeases().count
    }

    /// Clears every lease (see ``releaseAllLeases()``) and returns the entries that were leased:
    /// a runner that stopped without giving them back may have been delivering them.
    func releaseLeases() async throws -> [EntryRecord] {
        try await database.write { db in
            let leased = EntryRecord.filter(Column("lease_owner") != nil)
            let entries = try leased.fetchAll(db)
            try leased.updateAll(db, Column("lease_owner").set(to: nil), Column("lease_expires_at").set(to: nil))
            return entries
        }
    }

    /// Step 1 of recording an attempt: every recipient's new state, the attempt count, the last
    /// error and when the entry is due next, in one transaction of its own, so what was delivered
    /// is saved whatever happens after. The lease stays until step 2 (``finishAttempt(_:report:reported:complete:owner:)``)
    /// or ``backOff(_:until:reason:owner:)``. Returns `false` when the entry is gone or no longer
    /// leased by `owner`.
    ///
    /// This commit closes the window in which a server has a message but the queue does not know
    /// it (RFC 1047): a crash of the process there means the message is sent again. It is made
    /// with `synchronous = NORMAL` — written to the WAL without waiting for the disk, which a
    /// killed process cannot undo — so the window is a `write()`, not an `fsync()`; the next
    /// `FULL` commit (step 2 of the same attempt) makes it durable against power loss too.
    func recordAttempt(_ id: Int64, outcome: AttemptOutcome, nextAttemptAt: Double, owner: String) async throws -> Bool {
        try await database.writeWithoutTransaction { db in
            try db.cachedStatement(sql: "PRAGMA synchronous = NORMAL").execute()
            defer { try? db.cachedStatement(sql: "PRAGMA synchronous = FULL").execute() }
            var found = false
            try db.inTransaction {
                guard var entry = try EntryRecord.filter(key: id).filter(Column("lease_owner") == owner).fetchOne(db) else { return .commit }
                for recipient in outcome.recipients { try recipient.update(db) }
                entry.attempts = outcome.attempts
                entry.nextAttemptAt = nextAttemptAt
                entry.lastError = outcome.lastError ?? entry.lastError
                try entry.update(db)
                found = true
                return .commit
            }
            return found
        }
    }

    /// Step 2 of recording an attempt, in one transaction: queues the report on newly failed
    /// recipients (its file already in the spool) and marks `reported` recipients as reported;
    /// then removes the entry when it is `complete`, or releases the lease. The entry's message
    /// file is removed after a complete entry's commit.
    ///
    /// When the entry is gone or no longer leased by `owner`, nothing changes, the report's file
    /// is removed, and the result is `nil`; otherwise it is the report entry's id (0 without a
    /// report). When the transaction fails the report's file is removed and the error thrown.
    ///
    /// `durable: false` commits with `synchronous = NORMAL` (safe from a killed process, not from
    /// a power failure): only for completing an entry kept in its row with nothing to report,
    /// whose delivery the delivery journal already noted — lost to a power failure, it is sent
    /// again, never lost.
    @discardableResult
    func finishAttempt(_ leased: LeasedEntry, report: SpooledReport?, reported: [Int64], complete: Bool, owner: String, durable: Bool = true) async throws -> Int64? {
        let now = clock.now().timeIntervalSince1970
        let id = leased.id
        let relayKey = relayKeys.key(for: report?.request.relay)
        let reportID: Int64?
        do {
            reportID = try await write(durable: durable) { db -> Int64? in
                let leasedHere = try db.cachedStatement(sql: "SELECT COUNT(*) FROM outbound_entry WHERE id = ? AND lease_owner = ?")
                guard try Int.fetchOne(leasedHere, arguments: [id, owner]) == 1 else { return nil }
                var reportID: Int64 = 0
                if let report {
                    reportID = try Self.insert(report.request, relayKey: relayKey, spoolName: report.spoolName, properties: report.properties, isReport: true, now: now, in: db)
                }
                if complete {
                    try db.cachedStatement(sql: "DELETE FROM outbound_entry WHERE id = ?").execute(arguments: [id])
                } else {
                    try RecipientRecord.filter(keys: reported).updateAll(db, Column("reported").set(to: true))
                    try EntryRecord.filter(key: id).updateAll(db, Column("lease_owner").set(to: nil), Column("lease_expires_at").set(to: nil))
                }
                return reportID
            }
        } catch {
            if let report { await spool.remove(report.spoolName) }
            throw error
        }
        guard let reportID else {
            if let report { await spool.remove(report.spoolName) }
            return nil
        }
        if complete { await spool.remove(leased.entry.spoolName) }
        if reportID > 0 { signal.notify() }
        return reportID
    }

    /// After step 1 went through but step 2 failed: the entry is due no earlier than `until`,
    /// its last error says why, and the lease is released (its recipients' states are saved, so
    /// nobody is sent the message twice).
    func backOff(_ id: Int64, until: Double, reason: String, owner: String) async throws {
        try await database.write { db in
            guard var entry = try EntryRecord.filter(key: id).filter(Column("lease_owner") == owner).fetchOne(db) else { return }
            entry.nextAttemptAt = max(entry.nextAttemptAt, until)
            entry.lastError = reason
            entry.leaseOwner = nil
            entry.leaseExpiresAt = nil
            try entry.update(db)
        }
    }

    /// Holds an entry whose message file cannot be read: `attempts` counted, due at `until`,
    /// `reason` as last error, recipients unchanged, lease released.
    func hold(_ id: Int64, attempts: Int, until: Double, reason: String, owner: String) async throws {
        _ = try await database.write { db in
            try EntryRecord.filter(key: id).filter(Column("lease_owner") == owner).updateAll(
                db,
                Column("attempts").set(to: attempts),
                Column("next_attempt_at").set(to: until),
                Column("last_error").set(to: reason),
                Column("lease_owner").set(to: nil),
                Column("lease_expires_at").set(to: nil)
            )
        }
    }

    /// Moves message files that no entry refers to into `quarantine/` (never deletes them: such a
    /// file may be an acknowledged message whose row was lost), and removes leftovers in `tmp/`
    /// (writes that never completed, so never acknowledged), both when older than `age`.
    /// Returns the quarantined files' new paths and how many temporary files were removed.
    func quarantineOrphanedFiles(olderThan age: Duration) async throws -> (quarantined: [String], removedTemporary: Int) {
        let stale = try await spool.staleFiles(olderThan: age)
        let referenced = try await database.read { db in
            Set(try String.fetchAll(db, sql: "SELECT spool_name FROM outbound_entry"))
        }
        var quarantined: [String] = []
        for name in stale.messages where !referenced.contains(name) {
            quarantined.append(try await spool.quarantine(name))
        }
        for name in stale.temporary {
            await spool.removeTemporary(name)
        }
        return (quarantined, stale.temporary.count)
    }
}

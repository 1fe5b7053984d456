import Foundation
import GRDB
import NIOPosix
import Synchronization

/// The durable outbound queue: messages in a spool directory, their envelopes and delivery state
/// in SQLite (GRDB, WAL journal, `synchronous = FULL`).
///
/// ``enqueue(_:)`` returns only when both the message file and its row are on disk, so a caller
/// may acknowledge the message to the MTA right after. ``DeliveryService`` takes due entries from
/// here, delivers them and records the outcome per recipient. See docs/outbound.md.
public final class OutboundQueue: Sendable {
    /// The message files.
    public let spool: SpoolDirectory
    /// The SQLite file.
    public let databasePath: String
    let database: DatabasePool
    let clock: QueueClock
    let signal = QueueSignal()
    /// The relays' stored keys, remembered.
    let relayKeys = RelayKeys()
    /// This opening of the queue, `<boot id>/<uuid>`: entries enqueued ``EnqueueRequest/held``
    /// carry it until released (``settleAbandonedHolds()`` tells a crashed process from a
    /// machine that restarted by the boot id).
    public let instanceID: String
    /// The uuid part of ``instanceID``.
    let instanceUUID = UUID().uuidString.lowercased()
    /// Numbers the names of messages kept in their row (no uuid to draw for each).
    private let inlineNumbers = Atomic<UInt64>(0)

    /// Releases noted just before the MTA got its answer (``noteReleased(_:)``), for the next
    /// start to honour if this process dies before they are committed.
    let releaseJournal: QueueJournal
    /// Ids noted in the release journal whose release is not committed yet.
    private let notedReleases = Mutex<[[Int64]]>([])
    /// Releases whose answer is written (``releaseAnswered(_:)``), committed with the delivery
    /// service's next lease.
    private let answeredReleases = Mutex<[[Int64]]>([])

    /// Messages given as bytes up to this size are kept in their row, not in a spool file.
    public let inlineLimit: Int
    /// The default ``inlineLimit``: 64 KiB.
    public static let defaultInlineLimit = 64 * 1024

    /// The kernel's id of this boot (`/proc/sys/kernel/random/boot_id`), or `unknown`.
    static let bootID: String = {
        let text = (try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8)) ?? ""
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? "unknown" : trimmed
    }()

    private init(spool: SpoolDirectory, databasePath: String, database: DatabasePool, clock: QueueClock, inlineLimit: Int) {
        self.inlineLimit = inlineLimit
        self.instanceID = "\(Self.bootID)/\(instanceUUID)"
        self.spool = spool
        self.databasePath = databasePath
        self.database = database
        self.clock = clock
        self.releaseJournal = QueueJournal(path: "\(databasePath).released-\(instanceUUID)")
    }

    /// Opens (creating when missing) the database and the spool directory.
    /// - Throws: a GRDB `DatabaseError`, ``OutboundQueueError`` when the database cannot be made
    ///   to commit with `synchronous = FULL`, or ``MessageFileError`` for the spool.
    /// - Parameter inlineLimit: messages given as bytes up to this size are kept in their row
    ///   (no spool file to create, sync, rename and remove); 0 puts every message in a file.
    public static func open(databasePath: String, spoolPath: String, clock: QueueClock = .system, inlineLimit: Int = defaultInlineLimit) async throws -> OutboundQueue {
        try await open(databasePath: databasePath, spool: SpoolDirectory(path: spoolPath), clock: clock, inlineLimit: inlineLimit)
    }

    /// Opens the queue on a given spool (tests inject one whose system calls fail).
    static func open(databasePath: String, spool: SpoolDirectory, clock: QueueClock, inlineLimit: Int = defaultInlineLimit) async throws -> OutboundQueue {
        try await spool.prepare()
        let database = try await NIOThreadPool.singleton.runIfActive { () throws -> DatabasePool in
            let directory = (databasePath as NSString).deletingLastPathComponent
            if !directory.isEmpty {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            }
            var configuration = Configuration()
            configuration.busyMode = .timeout(10)
            let pool = try DatabasePool(path: databasePath, configuration: configuration)
            // Only the writer's setting matters for a commit, and DatabasePool sets NORMAL on the
            // writer when it turns WAL on (after prepareDatabase), so FULL is set here, afterwards.
            let synchronous = try pool.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA synchronous = FULL")
                return try Int.fetchOne(db, sql: "PRAGMA synchronous")
            }
            guard synchronous == 2 else {
                throw OutboundQueueError("the database did not accept synchronous = FULL (it reports \(synchronous ?? -1))")
            }
            try QueueSchema.migrator.migrate(pool)
            return pool
        }
        return OutboundQueue(spool: spool, databasePath: databasePath, database: database, clock: clock, inlineLimit: inlineLimit)
    }

    /// Stores the message and its row durably, and returns the new entry's id. The entry is due
    /// at once.
    /// - Throws: ``OutboundQueueError`` without recipients; ``MessageFileError`` or a database
    ///   error when it could not be stored (then nothing was queued).
    @discardableResult
    public func enqueue(_ request: EnqueueRequest) async throws -> Int64 {
        guard !request.recipients.isEmpty else { throw OutboundQueueError("a message needs at least one recipient") }
        if request.held, !releaseJournal.isOpen {
            // Opened before the first held entry exists, so noting a release is only a write().
            try releaseJournal.open(empty: false)
        }
        let now = clock.now().timeIntervalSince1970
        let stored: (name: String, properties: MessageProperties)
        var content: Data?
        if case .bytes(let bytes) = request.message, bytes.count <= inlineLimit {
            // Small: the message goes into the row, committed with it — no file to create,
            // sync, rename and remove for each of the many small copies and notices.
            var scanner = MessageScanner()
            bytes.withUnsafeBytes { scanner.scan($0) }
            let number = inlineNumbers.add(1, ordering: .relaxed).newValue
            stored = (SpoolDirectory.inlineName(instance: instanceUUID, number: number), scanner.properties)
            content = Data(bytes)
        } else {
            stored = try await spool.store(request.message)
        }
        let heldBy = request.held ? instanceID : nil
        let relayKey = relayKeys.key(for: request.relay)
        do {
            let id = try await database.write { [content] db in
                try Self.insert(request, relayKey: relayKey, spoolName: stored.name, properties: stored.properties, isReport: false, now: now, heldBy: heldBy, content: content, in: db)
            }
            if !request.held { signal.notify() }
            return id
        } catch {
            // (A message kept in its row has no file: removing it is a no-op.)
            await spool.remove(stored.name)
            throw error
        }
    }

    static func insert(
        _ request: EnqueueRequest,
        relayKey: String?,
        spoolName: String,
        properties: MessageProperties,
        isReport: Bool,
        now: Double,
        heldBy: String? = nil,
        content: Data? = nil,
        in db: Database
    ) throws -> Int64 {
        // Prepared once per connection (an insert is on the path of every copy and notice).
        let nextAttemptAt = request.holdUntil.map { max(now, $0.timeIntervalSince1970) } ?? now
        try db.cachedStatement(sql: """
            INSERT INTO outbound_entry (created_at, sender, spool_name, size, has_eight_bit_bytes, relay, origin, origin_queue_id,
                is_report, attempts, next_attempt_at, destination, held_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)
            """).execute(arguments: [
                now, request.sender.value, spoolName, properties.size, properties.hasEightBitBytes, relayKey,
                request.origin, request.originQueueID, isReport, nextAttemptAt, request.destination, heldBy,
            ])
        let id = db.lastInsertedRowID
        if let content {
            try db.cachedStatement(sql: "INSERT INTO outbound_content (entry_id, content) VALUES (?, ?)").execute(arguments: [id, content])
        }
        let recipient = try db.cachedStatement(sql: "INSERT INTO outbound_recipient (entry_id, address, state, reported) VALUES (?, ?, ?, 0)")
        for address in request.recipients {
            try recipient.execute(arguments: [id, address.value, RecipientState.pending.rawValue])
        }
        return id
    }

    /// Every entry, oldest first.
    public func entries() async throws -> [QueueEntry] {
        try await database.read { db in
            let entries = try EntryRecord.order(Column("id")).fetchAll(db)
            let recipients = Dictionary(grouping: try RecipientRecord.order(Column("id")).fetchAll(db), by: \.entryId)
            return entries.map { QueueEntry($0, recipients: recipients[$0.id ?? 0] ?? []) }
        }
    }

    /// One entry, or `nil`.
    public func entry(_ id: Int64) async throws -> QueueEntry? {
        try await database.read { db in
            guard let entry = try EntryRecord.fetchOne(db, key: id) else { return nil }
            let recipients = try RecipientRecord.filter(Column("entry_id") == id).order(Column("id")).fetchAll(db)
            return QueueEntry(entry, recipients: recipients)
        }
    }

    /// Notes that held entries may go, in the release journal, with one `write()`: the gateway
    /// calls this at the moment it answers the MTA (``Milter/MessageModifier/onAnswer(_:)``),
    /// then ``release(_:)`` commits it. A process killed in between has the note honoured at the
    /// next start; one killed before it has the entries dropped (the MTA got no answer). Returns
    /// whether the note was written (when not, only the commit records the release).
    @discardableResult
    public func noteReleased(_ ids: [Int64]) -> Bool {
        guard !ids.isEmpty, releaseJournal.append(ids) else { return false }
        notedReleases.withLock { $0.append(ids) }
        return true
    }

    /// Lets held entries go (due now), in one transaction. The commit is made with
    /// `synchronous = NORMAL` (written to the WAL, which a killed process cannot undo; the next
    /// `FULL` commit makes it durable against power loss, and a release lost to a power failure
    /// is made good at the next start: held entries from an earlier boot are released).
    /// - Throws: a database error; then none of them was released (a noted release is tried
    ///   again by ``commitNotedReleases()``).
    public func release(_ ids: [Int64]) async throws {
        guard !ids.isEmpty else { return }
        try await commitReleases([ids])
    }

    /// Lets held entries go once the MTA has its answer, without waiting: the release is
    /// committed by the delivery service with its next lease, in the same transaction (so the
    /// entry is released and taken for delivery with one commit, and the releases of many
    /// messages answered meanwhile share it). Noted in the release journal beforehand
    /// (``noteReleased(_:)``), it survives a crash until then.
    public func releaseAnswered(_ ids: [Int64]) {
        guard !ids.isEmpty else { return }
        answeredReleases.withLock { $0.append(ids) }
        signal.notify()
    }

    /// Commits the releases noted but not committed yet (answered, or a database error after
    /// the answer); the delivery service calls this once a second. Returns how many entries it
    /// released.
    @discardableResult
    public func commitNotedReleases() async throws -> Int {
        let answered = answeredReleases.withLock { answered in
            defer { answered.removeAll() }
            return answered
        }
        let noted = notedReleases.withLock { $0 }
        var groups = answered
        for ids in noted where !groups.contains(ids) { groups.append(ids) }
        guard !groups.isEmpty else { return 0 }
        do {
            try await commitReleases(groups)
        } catch {
            returnAnswered(answered)
            throw error
        }
        return groups.reduce(0) { $0 + $1.count }
    }

    /// Releases `groups` in one transaction, committed with `synchronous = NORMAL` (see
    /// ``release(_:)``), then forgets their notes.
    private func commitReleases(_ groups: [[Int64]]) async throws {
        let now = clock.now().timeIntervalSince1970
        try await write(durable: false) { db in try Self.markReleased(groups.flatMap { $0 }, now: now, in: db) }
        releasesCommitted(groups)
        signal.notify()
    }

    /// Takes the answered releases for a transaction of the delivery service's own; it calls
    /// ``markReleased(_:now:in:)`` in it, then ``releasesCommitted(_:)`` (or
    /// ``returnAnswered(_:)`` when the transaction failed).
    func takeAnswered() -> [[Int64]] {
        answeredReleases.withLock { answered in
            defer { answered.removeAll() }
            return answered
        }
    }

    /// Gives back answered releases a failed transaction did not commit.
    func returnAnswered(_ groups: [[Int64]]) {
        guard !groups.isEmpty else { return }
        answeredReleases.withLock { $0.insert(contentsOf: groups, at: 0) }
    }

    /// Makes held entries due at `now`. Only entries still held: a release committed twice
    /// never makes a deferred entry due.
    static func markReleased(_ ids: [Int64], now: Double, in db: Database) throws {
        guard !ids.isEmpty else { return }
        let release = try db.cachedStatement(sql: "UPDATE outbound_entry SET held_by = NULL, next_attempt_at = ? WHERE id = ? AND held_by IS NOT NULL")
        for id in ids { try release.execute(arguments: [now, id]) }
    }

    /// After the commit of released groups: their notes are done with.
    func releasesCommitted(_ groups: [[Int64]]) {
        guard !groups.isEmpty else { return }
        let noted = notedReleases.withLock { noted -> Int in
            var found = 0
            for ids in groups {
                guard let index = noted.firstIndex(of: ids) else { continue }
                noted.remove(at: index)
                found += 1
            }
            return found
        }
        for _ in 0..<noted { releaseJournal.committed() }
    }

    /// What ``settleAbandonedHolds()`` did.
    public struct SettledHolds: Sendable, Equatable {
        /// Held by a process of this boot that is gone: it died before answering the MTA, which
        /// keeps the message and sends it again. Removed with their files.
        public var dropped: Int
        /// Released: named in the dead instance's release journal (the MTA had its answer), or
        /// held by a process of an earlier boot (the machine stopped, and the note may have been
        /// lost with the page cache: sent, perhaps once too often, never lost).
        public var released: Int
    }

    /// Settles the held entries of other queue instances: those their release journal names
    /// are released (the MTA had its answer), the others of this boot are dropped with their
    /// files (it had none), those of an earlier boot released (a power failure may have taken
    /// the note with it: sent, perhaps twice, never lost). The other instances' release journals
    /// are removed afterwards. Called by the delivery service at start, under the runner lock.
    public func settleAbandonedHolds() async throws -> SettledHolds {
        let own = instanceID
        let bootPrefix = Self.bootID + "/"
        let knownBoot = Self.bootID != "unknown"
        let now = clock.now().timeIntervalSince1970
        let directory = (databasePath as NSString).deletingLastPathComponent
        let prefix = ((databasePath as NSString).lastPathComponent) + ".released-"
        // Compared by file name: the directory may be spelt differently (a trailing slash).
        let ownName = (releaseJournal.path as NSString).lastPathComponent
        let journals = ((try? FileManager.default.contentsOfDirectory(atPath: directory.isEmpty ? "." : directory)) ?? [])
            .filter { $0.hasPrefix(prefix) && $0 != ownName }
            .map { directory.isEmpty ? $0 : "\(directory)/\($0)" }
        let noted = Set(journals.flatMap { QueueJournal.lines(at: $0).joined() })
        let (names, released) = try await database.write { db -> ([String], Int) in
            let abandoned = try EntryRecord.filter(Column("held_by") != nil && Column("held_by") != own).fetchAll(db)
            let dropped = abandoned.filter { entry in
                knownBoot && (entry.heldBy ?? "").hasPrefix(bootPrefix) && !noted.contains(entry.id ?? -1)
            }
            let droppedIDs = Set(dropped.compactMap(\.id))
            let releasedIDs = abandoned.compactMap(\.id).filter { !droppedIDs.contains($0) }
            try EntryRecord.filter(keys: Array(droppedIDs)).deleteAll(db)
            try EntryRecord.filter(keys: releasedIDs).updateAll(db, Column("held_by").set(to: nil), Column("next_attempt_at").set(to: now))
            return (dropped.map(\.spoolName), releasedIDs.count)
        }
        for name in names { await spool.remove(name) }
        for journal in journals { unlink(journal) }
        if released > 0 { signal.notify() }
        return SettledHolds(dropped: names.count, released: released)
    }

    /// Makes an entry due now; returns whether it exists.
    @discardableResult
    public func retry(_ id: Int64) async throws -> Bool {
        let now = clock.now().timeIntervalSince1970
        let changed = try await database.write { db in
            try EntryRecord.filter(key: id).updateAll(db, Column("next_attempt_at").set(to: now))
        }
        if changed > 0 { signal.notify() }
        return changed > 0
    }

    /// Makes every entry due now; returns how many.
    @discardableResult
    public func retryAll() async throws -> Int {
        let now = clock.now().timeIntervalSince1970
        let changed = try await database.write { db in
            try EntryRecord.all().updateAll(db, Column("next_attempt_at").set(to: now))
        }
        if changed > 0 { signal.notify() }
        return changed
    }

    /// Removes an entry and its message file without delivering or reporting it; returns whether
    /// it existed. A delivery already under way finishes, but its outcome is not recorded.
    @discardableResult
    public func drop(_ id: Int64) async throws -> Bool {
        let spoolName = try await database.write { db -> String? in
            guard let entry = try EntryRecord.fetchOne(db, key: id) else { return nil }
            try EntryRecord.deleteOne(db, key: id)
            return entry.spoolName
        }
        guard let spoolName else { return false }
        await spool.remove(spoolName)
        return true
    }

    /// Depth and oldest entry.
    public func statistics() async throws -> QueueStatistics {
        try await database.read { db in
            let row = try Row.fetchOne(db, sql: "SELECT COUNT(*), MIN(created_at) FROM outbound_entry")
            let depth: Int = row?[0] ?? 0
            let oldest: Double? = row?[1]
            return QueueStatistics(depth: depth, oldestCreatedAt: oldest.map(Date.init(timeIntervalSince1970:)))
        }
    }

    /// Depth and oldest entry per named destination (only destinations with entries).
    public func destinationStatistics() async throws -> [String: QueueStatistics] {
        try await database.read { db in
            var result = [String: QueueStatistics]()
            for row in try Row.fetchAll(db, sql: "SELECT destination, COUNT(*), MIN(created_at) FROM outbound_entry WHERE destination IS NOT NULL GROUP BY destination") {
                let name: String = row[0]
                let oldest: Double? = row[2]
                result[name] = QueueStatistics(depth: row[1], oldestCreatedAt: oldest.map(Date.init(timeIntervalSince1970:)))
            }
            return result
        }
    }

    /// The `journal_mode` and `synchronous` settings (`wal`, 2 = FULL) of the connection that
    /// commits (the writer; readers never commit, so theirs would prove nothing), for checks.
    public func durabilitySettings() async throws -> (journalMode: String, synchronous: Int) {
        try await database.writeWithoutTransaction { db in
            let mode = try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? ""
            let synchronous = try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1
            return (mode, synchronous)
        }
    }
}

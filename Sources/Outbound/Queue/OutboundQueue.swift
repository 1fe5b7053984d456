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
    /// This opening of the queue, `<boot id>/<uuid>`: entries enqueued ``EnqueueRequest/held``
    /// carry it until released (``settleAbandonedHolds()`` tells a crashed process from a
    /// machine that restarted by the boot id).
    public let instanceID = "\(OutboundQueue.bootID)/\(UUID().uuidString.lowercased())"

    /// Releases noted just before the MTA got its answer (``noteReleased(_:)``), for the next
    /// start to honour if this process dies before they are committed.
    let releaseJournal: QueueJournal
    /// Ids noted in the release journal whose release is not committed yet.
    private let notedReleases = Mutex<[[Int64]]>([])

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
        self.spool = spool
        self.databasePath = databasePath
        self.database = database
        self.clock = clock
        self.releaseJournal = QueueJournal(path: "\(databasePath).released-\(instanceID.split(separator: "/").last ?? "x")")
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
            stored = (SpoolDirectory.inlineName(), scanner.properties)
            content = Data(bytes)
        } else {
            stored = try await spool.store(request.message)
        }
        let heldBy = request.held ? instanceID : nil
        do {
            let id = try await database.write { [content] db in
                try Self.insert(request, spoolName: stored.name, properties: stored.properties, isReport: false, now: now, heldBy: heldBy, content: content, in: db)
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
        spoolName: String,
        properties: MessageProperties,
        isReport: Bool,
        now: Double,
        heldBy: String? = nil,
        content: Data? = nil,
        in db: Database
    ) throws -> Int64 {
        var entry = EntryRecord(
            id: nil, createdAt: now, sender: request.sender.value, spoolName: spoolName, size: properties.size,
            hasEightBitBytes: properties.hasEightBitBytes, relay: EntryRecord.encode(request.relay), origin: request.origin,
            originQueueId: request.originQueueID, isReport: isReport, attempts: 0, nextAttemptAt: request.holdUntil.map { max(now, $0.timeIntervalSince1970) } ?? now,
            leaseOwner: nil, leaseExpiresAt: nil, lastError: nil, destination: request.destination, heldBy: heldBy, content: content
        )
        try entry.insert(db)
        guard let id = entry.id else { throw OutboundQueueError("the database assigned no id") }
        for address in request.recipients {
            var recipient = RecipientRecord(id: nil, entryId: id, address: address.value, state: .pending)
            try recipient.insert(db)
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
        let now = clock.now().timeIntervalSince1970
        try await database.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            defer { try? db.execute(sql: "PRAGMA synchronous = FULL") }
            try db.inTransaction {
                // Only entries still held: a release committed twice never makes a deferred entry due.
                try EntryRecord.filter(keys: ids).filter(Column("held_by") != nil).updateAll(db, Column("held_by").set(to: nil), Column("next_attempt_at").set(to: now))
                return .commit
            }
        }
        let wasNoted = notedReleases.withLock { noted -> Bool in
            guard let index = noted.firstIndex(of: ids) else { return false }
            noted.remove(at: index)
            return true
        }
        if wasNoted { releaseJournal.committed() }
        signal.notify()
    }

    /// Commits the releases noted but not committed yet (a database error after the answer);
    /// the delivery service calls this on every tick. Returns how many entries it released.
    @discardableResult
    public func commitNotedReleases() async throws -> Int {
        let pending = notedReleases.withLock { $0 }
        for ids in pending { try await release(ids) }
        return pending.reduce(0) { $0 + $1.count }
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

import Foundation
import GRDB

/// A row of `outbound_entry`: one queued message and its delivery bookkeeping. Times are Unix
/// seconds (REAL), so SQL can compare them.
struct EntryRecord: Codable, Sendable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "outbound_entry"
    static let recipients = hasMany(RecipientRecord.self, using: ForeignKey(["entry_id"]))

    var id: Int64?
    var createdAt: Double
    var sender: String
    var spoolName: String
    var size: Int
    var hasEightBitBytes: Bool
    /// The relay as sorted-key JSON (so equal relays compare equal in SQL), or `nil` for the
    /// delivery service's default relay.
    var relay: String?
    var origin: String?
    var originQueueId: String?
    var isReport: Bool
    var attempts: Int
    var nextAttemptAt: Double
    var leaseOwner: String?
    var leaseExpiresAt: Double?
    var lastError: String?
    /// The named destination (a duplicate destination) for per-destination settings, metrics
    /// and logs; `nil` for other mail.
    var destination: String? = nil
    /// The queue instance (``OutboundQueue/instanceID``) that holds the entry back until the MTA
    /// has its answer (``OutboundQueue/release(_:)``); `nil` once released. Never leased while set.
    var heldBy: String? = nil

    /// The column names, spelt out (a naming strategy converts every key of every row).
    /// A small message (``OutboundQueue/inlineLimit``) is not a column: it is kept in
    /// ``contentTableName`` (`spoolName` is then `inline:<uuid>`).
    enum CodingKeys: String, CodingKey {
        case id, sender, size, relay, origin, attempts, destination
        case createdAt = "created_at", spoolName = "spool_name", hasEightBitBytes = "has_eight_bit_bytes"
        case originQueueId = "origin_queue_id", isReport = "is_report", nextAttemptAt = "next_attempt_at"
        case leaseOwner = "lease_owner", leaseExpiresAt = "lease_expires_at", lastError = "last_error", heldBy = "held_by"
    }

    /// The table of messages kept in the database (`entry_id`, `content`), one row per such entry.
    static let contentTableName = "outbound_content"

    mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }

    var decodedRelay: SMTPRelay? {
        relay.flatMap { try? JSONDecoder().decode(SMTPRelay.self, from: Data($0.utf8)) }
    }

    static func encode(_ relay: SMTPRelay?) -> String? {
        guard let relay else { return nil }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(relay)).map { String(decoding: $0, as: UTF8.self) }
    }
}

/// A row of `outbound_recipient`: one recipient of an entry and what happened to it so far.
struct RecipientRecord: Codable, Sendable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "outbound_recipient"

    var id: Int64?
    var entryId: Int64
    var address: String
    var state: RecipientState
    var lastResponse: String?
    var enhancedCode: String?
    var updatedAt: Double?
    /// Whether a failure report (or the policy's decision not to send one) has covered this
    /// recipient's permanent failure, so it is reported once, right after the attempt that failed it.
    var reported = false

    /// The column names, spelt out.
    enum CodingKeys: String, CodingKey {
        case id, address, state, reported
        case entryId = "entry_id", lastResponse = "last_response", enhancedCode = "enhanced_code", updatedAt = "updated_at"
    }

    mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}

/// The schema, created and upgraded by GRDB's migrator.
enum QueueSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.create(table: EntryRecord.databaseTableName) { table in
                table.autoIncrementedPrimaryKey("id")
                table.column("created_at", .double).notNull()
                table.column("sender", .text).notNull()
                table.column("spool_name", .text).notNull().unique()
                table.column("size", .integer).notNull()
                table.column("has_eight_bit_bytes", .boolean).notNull()
                table.column("relay", .text)
                table.column("origin", .text)
                table.column("origin_queue_id", .text)
                table.column("is_report", .boolean).notNull().defaults(to: false)
                table.column("attempts", .integer).notNull().defaults(to: 0)
                table.column("next_attempt_at", .double).notNull()
                table.column("lease_owner", .text)
                table.column("lease_expires_at", .double)
                table.column("last_error", .text)
            }
            try db.create(index: "outbound_entry_due", on: EntryRecord.databaseTableName, columns: ["next_attempt_at", "id"])
            try db.create(table: RecipientRecord.databaseTableName) { table in
                table.autoIncrementedPrimaryKey("id")
                table.column("entry_id", .integer).notNull().indexed()
                    .references(EntryRecord.databaseTableName, onDelete: .cascade)
                table.column("address", .text).notNull()
                table.column("state", .text).notNull()
                table.column("last_response", .text)
                table.column("enhanced_code", .text)
                table.column("updated_at", .double)
            }
        }
        migrator.registerMigration("v2-reported") { db in
            try db.alter(table: RecipientRecord.databaseTableName) { table in
                table.add(column: "reported", .boolean).notNull().defaults(to: false)
            }
        }
        migrator.registerMigration("v3-destination-hold") { db in
            try db.alter(table: EntryRecord.databaseTableName) { table in
                table.add(column: "destination", .text)
                table.add(column: "held_by", .text)
            }
        }
        migrator.registerMigration("v4-inline-content") { db in
            try db.alter(table: EntryRecord.databaseTableName) { table in
                table.add(column: "content", .blob)
            }
            try db.create(index: "outbound_entry_destination", on: EntryRecord.databaseTableName, columns: ["destination"])
        }
        migrator.registerMigration("v5-content-table") { db in
            // A message kept in the database lives in a table of its own: SQLite rewrites a whole
            // row (its overflow pages too) on every update, and an entry's row is updated on
            // release, lease and each attempt.
            try db.create(table: EntryRecord.contentTableName) { table in
                table.primaryKey("entry_id", .integer).references(EntryRecord.databaseTableName, onDelete: .cascade)
                table.column("content", .blob).notNull()
            }
            try db.execute(sql: "INSERT INTO \(EntryRecord.contentTableName) (entry_id, content) SELECT id, content FROM outbound_entry WHERE content IS NOT NULL")
            try db.execute(sql: "UPDATE outbound_entry SET content = NULL WHERE content IS NOT NULL")
        }
        return migrator
    }
}

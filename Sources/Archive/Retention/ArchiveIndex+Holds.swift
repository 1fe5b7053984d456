import Foundation
import GRDB

extension ArchiveIndex {
    /// Puts one message under legal hold.
    @discardableResult
    public func holdMessage(id: Int64, reason: String, by account: String) throws -> Int64 {
        try database.pool.write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM message WHERE id = ?", arguments: [id]) ?? false else {
                throw ArchiveError.notFound("message \(id)")
            }
            try db.execute(
                sql: "INSERT INTO hold (query, reason, created_by, created_at) VALUES (NULL, ?, ?, ?)",
                arguments: [reason, account, Date().timeIntervalSince1970]
            )
            let hold = db.lastInsertedRowID
            try db.execute(sql: "INSERT INTO hold_message (hold_id, message_id) VALUES (?, ?)", arguments: [hold, id])
            return hold
        }
    }

    /// Puts a search under legal hold: what it matches now is recorded, and it is run again
    /// before every deletion, so messages archived later are kept too.
    @discardableResult
    public func holdSearch(_ text: String, reason: String, by account: String) throws -> Int64 {
        let query = try ArchiveQuery.parse(text)
        guard !query.clauses.isEmpty else { throw ArchiveError.query("a hold needs a search that does not match everything; hold messages one by one or narrow it") }
        let matching = try messages(matching: query, scope: .everything).map(\.id)
        return try database.pool.write { db in
            try db.execute(
                sql: "INSERT INTO hold (query, reason, created_by, created_at) VALUES (?, ?, ?, ?)",
                arguments: [text, reason, account, Date().timeIntervalSince1970]
            )
            let hold = db.lastInsertedRowID
            for id in matching {
                try db.execute(sql: "INSERT OR IGNORE INTO hold_message (hold_id, message_id) VALUES (?, ?)", arguments: [hold, id])
            }
            return hold
        }
    }

    /// Ends a hold (kept in the list, with who released it).
    public func releaseHold(id: Int64, by account: String) throws {
        try database.pool.write { db in
            try db.execute(
                sql: "UPDATE hold SET released_at = ?, released_by = ? WHERE id = ? AND released_at IS NULL",
                arguments: [Date().timeIntervalSince1970, account, id]
            )
            guard db.changesCount == 1 else { throw ArchiveError.notFound("active hold \(id)") }
        }
    }

    /// Every hold, newest first.
    public func holds() throws -> [ArchiveHold] {
        try database.pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT h.*, (SELECT count(*) FROM hold_message hm WHERE hm.hold_id = h.id) AS messages
                    FROM hold h ORDER BY h.id DESC
                    """
            ).map { row in
                ArchiveHold(
                    id: row["id"], query: row["query"], reason: row["reason"], createdBy: row["created_by"],
                    createdAt: Date(timeIntervalSince1970: row["created_at"]), releasedBy: row["released_by"],
                    releasedAt: (row["released_at"] as Double?).map(Date.init(timeIntervalSince1970:)), messageCount: row["messages"]
                )
            }
        }
    }

    /// Messages whose retention ended before `now` and that no active hold covers (held
    /// searches are run again now).
    public func expired(now: Date, limit: Int = 1000) throws -> [ArchivedMessage] {
        let candidates = try database.pool.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT \(Self.messageColumns) FROM message m WHERE m.delete_after IS NOT NULL AND m.delete_after <= ? ORDER BY m.delete_after LIMIT ?",
                arguments: [now.timeIntervalSince1970, limit]
            ).map { try Self.message($0, db: db) }
        }.filter { !$0.held }
        guard !candidates.isEmpty else { return [] }
        var kept = Set<Int64>()
        for hold in try holds() where hold.isActive {
            guard let text = hold.query, let query = try? ArchiveQuery.parse(text) else { continue }
            kept.formUnion(try messages(matching: query, scope: .everything).map(\.id))
        }
        return candidates.filter { !kept.contains($0.id) }
    }
}

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

    /// The ids every active held search matches now. A held search that no longer parses is an
    /// error: deletion stops rather than ignore a hold.
    public func idsUnderSearchHolds() throws -> Set<Int64> {
        var kept = Set<Int64>()
        for hold in try holds() where hold.isActive {
            guard let text = hold.query else { continue }
            let query: ArchiveQuery
            do {
                query = try ArchiveQuery.parse(text)
            } catch {
                throw ArchiveError.query("held search \(hold.id) ('\(text)') no longer parses (\(error)); nothing is deleted until it is released or fixed")
            }
            kept.formUnion(try messages(matching: query, scope: .everything).map(\.id))
        }
        return kept
    }

    /// Messages whose retention ended before `now`, not under a message hold, after `afterID`
    /// in deletion order (paging past held rows: a hold on many old messages never stops the
    /// deletion of newer ones). Held searches are the caller's (``idsUnderSearchHolds()``).
    public func expired(now: Date, after cursor: (deleteAfter: Double, id: Int64)? = nil, limit: Int = 500) throws -> [ArchivedMessage] {
        try database.pool.read { db in
            var sql = """
                SELECT \(Self.messageColumns) FROM message m
                WHERE m.delete_after IS NOT NULL AND m.delete_after <= ?
                AND NOT EXISTS (SELECT 1 FROM hold_message hm JOIN hold h ON h.id = hm.hold_id WHERE hm.message_id = m.id AND h.released_at IS NULL)
                """
            var arguments: StatementArguments = [now.timeIntervalSince1970]
            if let cursor {
                sql += " AND (m.delete_after > ? OR (m.delete_after = ? AND m.id > ?))"
                arguments += [cursor.deleteAfter, cursor.deleteAfter, cursor.id]
            }
            sql += " ORDER BY m.delete_after, m.id LIMIT ?"
            arguments += [limit]
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map { try Self.message($0, db: db) }
        }
    }
}

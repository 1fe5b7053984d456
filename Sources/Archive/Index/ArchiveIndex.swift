import Foundation
import GRDB

/// The searchable catalogue of the archive (SQLite FTS5, trigram tokenizer). Writes come in
/// batches (one transaction each); reads run beside them (WAL).
public final class ArchiveIndex: Sendable {
    public let database: ArchiveDatabase
    /// Days in `after:`/`before:`/`on:` are read in this zone.
    public let timeZone: TimeZone

    public init(database: ArchiveDatabase, timeZone: TimeZone = .current) {
        self.database = database
        self.timeZone = timeZone
    }

    /// Adds `documents` in one transaction; copies already indexed (same key) are skipped.
    /// Returns how many were new.
    @discardableResult
    public func add(_ documents: [IndexDocument]) throws -> Int {
        guard !documents.isEmpty else { return 0 }
        return try database.pool.write { db in
            var added = 0
            for document in documents {
                let copy = document.copy
                let exists = try Bool.fetchOne(db, sql: "SELECT 1 FROM message WHERE key = ?", arguments: [copy.key]) ?? false
                if exists { continue }
                let envelope = copy.envelope
                let deleteAfter = envelope.retentionDays.map { envelope.receivedAt.timeIntervalSince1970 + Double($0) * 86_400 }
                try db.execute(
                    sql: """
                        INSERT INTO message (key, path, folders, kind, received_at, date, sender, recipients, client_address, queue_id,
                            message_id, subject, from_text, to_text, cc_text, size, direction, has_attachment, attachment_names,
                            compressed, sha256, delete_after)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        copy.key, copy.paths.first ?? "", Self.json(envelope.folders), envelope.kind.rawValue,
                        envelope.receivedAt.timeIntervalSince1970, document.date?.timeIntervalSince1970, envelope.sender,
                        envelope.recipients.joined(separator: ", "), envelope.clientAddress, envelope.queueID, document.messageID,
                        document.subject, document.from, document.to, document.cc, copy.size, envelope.direction,
                        document.hasAttachment, Self.json(document.attachmentNames), copy.compressed, copy.sha256, deleteAfter,
                    ]
                )
                let id = db.lastInsertedRowID
                // Scopes follow the envelope only: header addresses are whatever the sender wrote
                // (a Cc: to another company must not open the message to that company's auditor).
                var seen = Set<String>()
                for address in envelope.addresses where seen.insert(address).inserted {
                    let domain = address.lastIndex(of: "@").map { String(address[address.index(after: $0)...]) } ?? ""
                    try db.execute(sql: "INSERT INTO message_address (message_id, address, domain) VALUES (?, ?, ?)", arguments: [id, address, domain])
                }
                let columns = [
                    document.subject, document.from + " " + envelope.sender, document.to + " " + envelope.recipients.joined(separator: " "),
                    document.cc, document.body, (document.attachmentNames + [document.attachmentText]).joined(separator: "\n"),
                ]
                try db.execute(
                    sql: "INSERT INTO message_text (rowid, subject, sender, recipients, cc, body, attachments) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    arguments: StatementArguments([id as any DatabaseValueConvertible] + columns.map { $0 as any DatabaseValueConvertible })
                )
                try db.execute(
                    sql: "INSERT INTO message_bigram (rowid, subject, sender, recipients, cc, body, attachments) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    arguments: StatementArguments([id as any DatabaseValueConvertible] + columns.map { CJKBigrams.text($0) as any DatabaseValueConvertible })
                )
                added += 1
            }
            return added
        }
    }

    /// Keys already indexed (the catch-up compares the sidecars with these).
    public func keys() throws -> Set<String> {
        try database.pool.read { db in Set(try String.fetchAll(db, sql: "SELECT key FROM message")) }
    }

    /// Number of indexed copies.
    public func count() throws -> Int {
        try database.pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM message") ?? 0 }
    }

    /// Searches; results within `scope` only. The total is counted up to `countLimit` (a word
    /// in every other mail of a million costs a count of every match otherwise).
    public func search(
        _ query: ArchiveQuery, scope: ArchiveScope, order: ArchiveSortOrder = .relevance, limit: Int = 50, offset: Int = 0, countLimit: Int = 10_000
    ) throws -> ArchiveSearchResult {
        let statement = SearchStatement(query: query, scope: scope, timeZone: timeZone)
        // A window of the body around the first word, cut in SQL (FTS5's snippet() tokenizes
        // every hit's text again: a third of a search's time), the word marked in Swift.
        var snippetArguments = StatementArguments()
        let snippet: String
        if let word = statement.words.first {
            snippet = "(SELECT substr(t.body, max(1, instr(lower(t.body), lower(?)) - 40), 200) FROM message_text t WHERE t.rowid = m.id)"
            snippetArguments += [word]
        } else {
            snippet = "(SELECT substr(t.body, 1, 200) FROM message_text t WHERE t.rowid = m.id)"
        }
        let ordering: String
        switch order {
        case .relevance where statement.hasMatch: ordering = "bm25(message_text, 10.0, 4.0, 4.0, 2.0, 1.0, 3.0), message_text.rowid DESC"
        // The driving table's rowid is the archive order: FTS5 walks it backwards without sorting.
        case .oldest: ordering = "\(statement.orderColumn) ASC"
        default: ordering = "\(statement.orderColumn) DESC"
        }
        return try database.pool.read { db in
            var counted = 0
            if countLimit > 0 {
                var countArguments = statement.arguments
                countArguments += [countLimit + 1]
                counted = try Int.fetchOne(db, sql: "SELECT count(*) FROM (SELECT 1 " + statement.fromWhere + " LIMIT ?)", arguments: countArguments) ?? 0
            }
            let total = min(counted, max(countLimit, 0))
            var arguments = snippetArguments
            arguments += statement.arguments
            arguments += [max(0, min(limit, 1000)), max(0, offset)]
            let rows = try Row.fetchAll(
                db, sql: "SELECT \(Self.messageColumns), \(snippet) AS snippet " + statement.fromWhere + " ORDER BY \(ordering) LIMIT ? OFFSET ?",
                arguments: arguments
            )
            let hits = try rows.map { row in
                let text = (row["snippet"] as String?) ?? ""
                return ArchiveSearchHit(message: try Self.message(row, db: db), snippet: Self.snippet(text, words: statement.words))
            }
            return ArchiveSearchResult(hits: hits, total: total, totalIsLowerBound: counted > countLimit)
        }
    }

    /// A snippet around the first of `words` in `text` (for searches FTS5 cannot snippet),
    /// the word marked; the start of the text when none is in it.
    static func snippet(_ text: String, words: [String]) -> String {
        let flat = text.replacingOccurrences(of: "\n", with: " ")
        for word in words where !word.isEmpty {
            guard let range = flat.range(of: word, options: [.caseInsensitive]) else { continue }
            let before = flat[..<range.lowerBound].suffix(40)
            let after = flat[range.upperBound...].prefix(80)
            return (before.count == 40 ? "…" : "") + before + ArchiveSnippet.open + flat[range] + ArchiveSnippet.close + after + (after.count == 80 ? "…" : "")
        }
        return String(flat.prefix(160))
    }

    /// Every message `query` matches within `scope` (for export and holds), oldest first, at
    /// most `limit`.
    public func messages(matching query: ArchiveQuery, scope: ArchiveScope, limit: Int = .max) throws -> [ArchivedMessage] {
        let statement = SearchStatement(query: query, scope: scope, timeZone: timeZone)
        var arguments = statement.arguments
        arguments += [min(limit, Int(Int64.max))]
        return try database.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.messageColumns) " + statement.fromWhere + " ORDER BY m.received_at, m.id LIMIT ?", arguments: arguments)
                .map { try Self.message($0, db: db) }
        }
    }

    /// One message, or `nil` when there is none with this id inside `scope`.
    public func message(id: Int64, scope: ArchiveScope) throws -> ArchivedMessage? {
        var query = ArchiveQuery(clauses: [])
        query.clauses = []
        let statement = SearchStatement(query: query, scope: scope, timeZone: timeZone)
        let glue = statement.fromWhere.contains(" WHERE ") ? " AND " : " WHERE "
        var arguments = statement.arguments
        arguments += [id]
        return try database.pool.read { db in
            try Row.fetchOne(db, sql: "SELECT \(Self.messageColumns) " + statement.fromWhere + glue + "m.id = ?", arguments: arguments)
                .map { try Self.message($0, db: db) }
        }
    }

    /// The message with this Maildir key.
    public func message(key: String) throws -> ArchivedMessage? {
        try database.pool.read { db in
            try Row.fetchOne(db, sql: "SELECT \(Self.messageColumns) FROM message m WHERE m.key = ?", arguments: [key]).map { try Self.message($0, db: db) }
        }
    }

    /// Removes catalogue rows (the files are the store's business).
    public func remove(ids: [Int64]) throws {
        guard !ids.isEmpty else { return }
        try database.pool.write { db in
            for id in ids {
                try Self.deleteBigrams(db, id: id)
                try db.execute(sql: "DELETE FROM message_text WHERE rowid = ?", arguments: [id])
                try db.execute(sql: "DELETE FROM message_address WHERE message_id = ?", arguments: [id])
                try db.execute(sql: "DELETE FROM hold_message WHERE message_id = ?", arguments: [id])
                try db.execute(sql: "DELETE FROM message WHERE id = ?", arguments: [id])
            }
        }
    }

    /// (hold id, Maildir key) of every message a hold covers.
    func heldKeys() throws -> [(Int64, String)] {
        try database.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT hm.hold_id, m.key FROM hold_message hm JOIN message m ON m.id = hm.message_id").map { ($0[0], $0[1]) }
        }
    }

    /// Puts the messages with these keys back under their holds (after a rebuild).
    func restoreHolds(_ pairs: [(Int64, String)]) throws {
        try database.pool.write { db in
            for (hold, key) in pairs {
                try db.execute(
                    sql: "INSERT OR IGNORE INTO hold_message (hold_id, message_id) SELECT ?, id FROM message WHERE key = ?", arguments: [hold, key]
                )
            }
        }
    }

    /// Empties the catalogue (before a rebuild from disk); accounts, audit and holds stay.
    public func removeAll() throws {
        try database.pool.write { db in
            try db.execute(sql: "DELETE FROM hold_message; DELETE FROM message_address; DELETE FROM message_text; DELETE FROM message;")
            try db.execute(sql: "INSERT INTO message_bigram(message_bigram) VALUES ('delete-all')")
        }
    }

    /// A contentless FTS5 row is deleted with its original values: the bigrams are made again
    /// from `message_text`.
    static func deleteBigrams(_ db: Database, id: Int64) throws {
        guard let row = try Row.fetchOne(db, sql: "SELECT subject, sender, recipients, cc, body, attachments FROM message_text WHERE rowid = ?", arguments: [id]) else { return }
        let values: [String] = (0..<6).map { CJKBigrams.text((row[$0] as String?) ?? "") }
        try db.execute(
            sql: "INSERT INTO message_bigram (message_bigram, rowid, subject, sender, recipients, cc, body, attachments) VALUES ('delete', ?, ?, ?, ?, ?, ?, ?)",
            arguments: StatementArguments([id as any DatabaseValueConvertible] + values.map { $0 as any DatabaseValueConvertible })
        )
    }

    static let messageColumns = """
        m.id, m.key, m.path, m.folders, m.kind, m.received_at, m.date, m.sender, m.recipients, m.client_address, m.queue_id, m.message_id,
        m.subject, m.from_text, m.to_text, m.cc_text, m.size, m.direction, m.has_attachment, m.attachment_names, m.compressed, m.sha256,
        m.delete_after,
        EXISTS (SELECT 1 FROM hold_message hm JOIN hold h ON h.id = hm.hold_id WHERE hm.message_id = m.id AND h.released_at IS NULL) AS held
        """

    static func message(_ row: Row, db: Database) throws -> ArchivedMessage {
        let recipients: String = row["recipients"]
        let envelope = ArchiveEnvelope(
            sender: row["sender"], recipients: recipients.isEmpty ? [] : recipients.components(separatedBy: ", "),
            clientAddress: row["client_address"], queueID: row["queue_id"], receivedAt: Date(timeIntervalSince1970: row["received_at"]),
            direction: row["direction"], kind: ArchiveCopyKind(rawValue: row["kind"]) ?? .received, retentionDays: nil,
            folders: decode(row["folders"])
        )
        return ArchivedMessage(
            id: row["id"], key: row["key"], path: row["path"], envelope: envelope, date: (row["date"] as Double?).map(Date.init(timeIntervalSince1970:)),
            messageID: row["message_id"], subject: row["subject"], from: row["from_text"], to: row["to_text"], cc: row["cc_text"],
            size: row["size"], hasAttachment: row["has_attachment"], attachmentNames: decode(row["attachment_names"]),
            compressed: row["compressed"], sha256: row["sha256"],
            deleteAfter: (row["delete_after"] as Double?).map(Date.init(timeIntervalSince1970:)), held: row["held"]
        )
    }

    static func json(_ list: [String]) -> String {
        (try? String(decoding: JSONEncoder().encode(list), as: UTF8.self)) ?? "[]"
    }

    static func decode(_ text: String) -> [String] {
        guard text != "[]" else { return [] }
        return ((try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String]) ?? []
    }
}

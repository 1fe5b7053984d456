import Foundation
import GRDB

/// Turns an ``ArchiveQuery`` into SQL over `message` (alias `m`). Words of three or more
/// characters go into one FTS5 `MATCH` on `message_text` (trigram index, ranked by bm25), which
/// then drives the query; two-character CJK words (「会議」) go to the bigram table, which drives
/// when there is no trigram word; other short words become `LIKE` scans of the text; negations
/// and `OR` groups become sub-selects. The driving table's rowid is the archive order, so
/// newest-first pages are read off the index without sorting. Pure: builds text and arguments.
struct SearchStatement {
    /// Which table the query is read from.
    enum Driver {
        /// `message_text MATCH` (bm25 and snippets available).
        case text
        /// `message_bigram MATCH`.
        case bigram
        /// `message` alone (filters only).
        case catalogue
    }

    /// `FROM … WHERE …` (no SELECT, no ORDER).
    var fromWhere: String
    var arguments: StatementArguments
    var driver: Driver
    /// Whether `message_text MATCH` is in the main query (bm25 and snippets available).
    var hasMatch: Bool { driver == .text }
    /// The column that orders by archive order.
    var orderColumn: String {
        switch driver {
        case .text: "message_text.rowid"
        case .bigram: "message_bigram.rowid"
        case .catalogue: "m.id"
        }
    }
    /// The plain words of the query (for snippets made without FTS5).
    var words: [String]

    /// FTS columns per field, in table order: subject, sender, recipients, cc, body, attachments.
    static func columns(_ field: ArchiveQuery.Field) -> [String]? {
        switch field {
        case .any: ["subject", "sender", "recipients", "cc", "body", "attachments"]
        case .from: ["sender"]
        case .to: ["recipients"]
        case .cc: ["cc"]
        case .subject: ["subject"]
        case .body: ["body"]
        case .attachment: ["attachments"]
        case .sender, .recipient, .messageID, .queueID: nil
        }
    }

    init(query: ArchiveQuery, scope: ArchiveScope, timeZone: TimeZone) {
        var matches = [String]()
        var bigrams = [String]()
        var conditions = [String]()
        var arguments = StatementArguments()
        var words = [String]()
        for clause in query.clauses {
            if case .match(_, let value) = clause { words.append(Self.plain(value)) }
            if case .match(let field, let value) = clause, let expression = Self.matchExpression(field, value) {
                matches.append(expression)
                continue
            }
            if case .match(let field, let value) = clause, let expression = Self.bigramExpression(field, value) {
                bigrams.append(expression)
                continue
            }
            if case .or(let options) = clause {
                let expressions = options.compactMap { option -> String? in
                    guard case .match(let field, let value) = option else { return nil }
                    return Self.matchExpression(field, value)
                }
                if expressions.count == options.count {
                    matches.append("(" + expressions.joined(separator: " OR ") + ")")
                    continue
                }
            }
            let (sql, values) = Self.condition(clause, timeZone: timeZone)
            conditions.append(sql)
            arguments += StatementArguments(values)
        }
        if let domains = scope.domains {
            if domains.isEmpty {
                conditions.append("0")
            } else {
                let tests = domains.map { _ in "a.domain = ? OR a.domain LIKE ?" }.joined(separator: " OR ")
                conditions.append("EXISTS (SELECT 1 FROM message_address a WHERE a.message_id = m.id AND (\(tests)))")
                for domain in domains { arguments += [domain, "%." + domain] }
            }
        }
        var sql: String
        var all = [String]()
        var leading = StatementArguments()
        if !matches.isEmpty {
            driver = .text
            sql = "FROM message_text JOIN message m ON m.id = message_text.rowid"
            all.append("message_text MATCH ?")
            leading += [matches.joined(separator: " AND ")]
            if !bigrams.isEmpty {
                all.append("m.id IN (SELECT rowid FROM message_bigram WHERE message_bigram MATCH ?)")
                leading += [bigrams.joined(separator: " AND ")]
            }
        } else if !bigrams.isEmpty {
            driver = .bigram
            sql = "FROM message_bigram JOIN message m ON m.id = message_bigram.rowid"
            all.append("message_bigram MATCH ?")
            leading += [bigrams.joined(separator: " AND ")]
        } else {
            driver = .catalogue
            sql = "FROM message m"
        }
        all += conditions
        if !all.isEmpty { sql += " WHERE " + all.joined(separator: " AND ") }
        self.fromWhere = sql
        self.arguments = leading + arguments
        self.words = words.filter { !$0.isEmpty }
    }

    /// `{cols} : "会議"` for two-character CJK words; `nil` otherwise.
    static func bigramExpression(_ field: ArchiveQuery.Field, _ value: String) -> String? {
        let value = plain(value)
        guard let columns = columns(field), CJKBigrams.isBigram(value) else { return nil }
        let phrase = "\"" + value + "\""
        return field == .any ? phrase : "{\(columns.joined(separator: " "))} : \(phrase)"
    }

    /// `{cols} : "value"` for FTS words of three characters or more; `nil` otherwise.
    static func matchExpression(_ field: ArchiveQuery.Field, _ value: String) -> String? {
        let value = plain(value)
        guard let columns = columns(field), value.count >= 3 else { return nil }
        let phrase = "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        return field == .any ? phrase : "{\(columns.joined(separator: " "))} : \(phrase)"
    }

    /// NUL and other control characters as spaces: SQLite text ends at a NUL; the index stores them so.
    static func plain(_ value: String) -> String {
        String(value.map { $0.unicodeScalars.allSatisfy { $0.properties.generalCategory == .control } ? " " : $0 })
    }

    static func like(_ value: String) -> String {
        "%" + plain(value).replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_") + "%"
    }

    /// A clause as a stand-alone condition on `m`.
    static func condition(_ clause: ArchiveQuery.Clause, timeZone: TimeZone) -> (String, [any DatabaseValueConvertible]) {
        switch clause {
        case .match(let field, let value):
            if let expression = matchExpression(field, value) {
                return ("m.id IN (SELECT rowid FROM message_text WHERE message_text MATCH ?)", [expression])
            }
            if let expression = bigramExpression(field, value) {
                // Two CJK characters: one token of the bigram table.
                return ("m.id IN (SELECT rowid FROM message_bigram WHERE message_bigram MATCH ?)", [expression])
            }
            if let columns = columns(field) {
                let tests = columns.map { "t.\($0) LIKE ? ESCAPE '\\'" }.joined(separator: " OR ")
                return ("m.id IN (SELECT t.rowid FROM message_text t WHERE \(tests))", columns.map { _ in like(value) })
            }
            // IFNULL: "-queue:X" must keep the copies that have no queue id.
            switch field {
            case .sender: return ("m.sender LIKE ? ESCAPE '\\'", [like(value)])
            case .recipient: return ("m.recipients LIKE ? ESCAPE '\\'", [like(value)])
            case .messageID: return ("IFNULL(m.message_id, '') LIKE ? ESCAPE '\\'", [like(value)])
            default: return ("IFNULL(m.queue_id, '') = ?", [value])
            }
        case .after(let day): return ("m.received_at >= ?", [day.start(in: timeZone).timeIntervalSince1970])
        case .before(let day): return ("m.received_at < ?", [day.start(in: timeZone).timeIntervalSince1970])
        case .on(let day):
            // The next midnight, not +24 h: days with a DST change are 23 or 25 hours long.
            return ("(m.received_at >= ? AND m.received_at < ?)", [day.start(in: timeZone).timeIntervalSince1970, day.end(in: timeZone).timeIntervalSince1970])
        case .hasAttachment(let value): return ("m.has_attachment = ?", [value])
        case .direction(let value): return ("m.direction = ?", [value])
        case .kind(let kind): return ("m.kind = ?", [kind.rawValue])
        case .larger(let size): return ("m.size > ?", [size])
        case .smaller(let size): return ("m.size < ?", [size])
        case .not(let inner):
            let (sql, values) = condition(inner, timeZone: timeZone)
            return ("NOT (\(sql))", values)
        case .or(let options):
            var parts = [String]()
            var values = [any DatabaseValueConvertible]()
            for option in options {
                let (sql, more) = condition(option, timeZone: timeZone)
                parts.append(sql)
                values += more
            }
            return ("(" + parts.joined(separator: " OR ") + ")", values)
        }
    }
}

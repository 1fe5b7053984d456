import Foundation
import GRDB

/// Turns an ``ArchiveQuery`` into SQL over `message` (alias `m`) joined to the FTS5 table
/// `message_text`. Words of three or more characters go into one FTS5 `MATCH` (trigram index,
/// ranked by bm25); shorter words (「請求」) cannot use trigrams and become `LIKE` scans of the
/// text; negations and `OR` groups become sub-selects. Pure: builds text and arguments only.
struct SearchStatement {
    /// `FROM … WHERE …` (no SELECT, no ORDER).
    var fromWhere: String
    var arguments: StatementArguments
    /// Whether `message_text MATCH` is in the main query (bm25 and snippets available).
    var hasMatch: Bool

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
        var conditions = [String]()
        var arguments = StatementArguments()
        var matchArguments = [String]()
        for clause in query.clauses {
            if case .match(let field, let value) = clause, let expression = Self.matchExpression(field, value) {
                matches.append(expression)
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
        var sql = "FROM message m JOIN message_text ON message_text.rowid = m.id"
        var all = [String]()
        if !matches.isEmpty {
            all.append("message_text MATCH ?")
            matchArguments.append(matches.joined(separator: " AND "))
        }
        all += conditions
        if !all.isEmpty { sql += " WHERE " + all.joined(separator: " AND ") }
        self.fromWhere = sql
        self.arguments = StatementArguments(matchArguments) + arguments
        self.hasMatch = !matches.isEmpty
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
            if let columns = columns(field), CJKBigrams.isBigram(plain(value)) {
                // Two CJK characters: one token of the bigram table.
                let phrase = "\"" + plain(value) + "\""
                let expression = field == .any ? phrase : "{\(columns.joined(separator: " "))} : \(phrase)"
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

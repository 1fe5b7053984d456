import Foundation

/// A search in the archive's query language, parsed (pure; no database):
///
///     請求書 from:tanaka@example.co.jp after:2026-01-01 has:attachment
///
/// Words match anywhere in the text (substring, Japanese included); `"…"` keeps spaces;
/// `-word` excludes; `a OR b` matches either; every other clause must hold. Fields:
/// `from:` `to:` `cc:` `subject:` `body:` `attachment:`/`filename:` (names and text of
/// attachments), `sender:` `rcpt:` (envelope), `id:` (Message-ID), `queue:`; `after:` `before:`
/// `on:` (YYYY-MM-DD, in the archive's time zone); `has:attachment`; `direction:inbound|outbound|internal|mixed`;
/// `kind:received|delivered`; `larger:`/`smaller:` (bytes, `k`/`M` suffixes). docs/archive.md lists it.
public struct ArchiveQuery: Sendable, Equatable {
    /// Where a word is looked for.
    public enum Field: String, Sendable, CaseIterable {
        /// Every text column.
        case any
        case from, to, cc, subject, body
        /// Attachment names and their extracted text.
        case attachment
        /// Envelope `MAIL FROM` / `RCPT TO`.
        case sender, recipient
        case messageID
        case queueID
    }

    /// A calendar day, resolved to an instant in the archive's time zone when searched.
    public struct Day: Sendable, Equatable, CustomStringConvertible {
        public var year: Int
        public var month: Int
        public var day: Int

        public init?(_ text: some StringProtocol) {
            let parts = text.split(separator: "-", omittingEmptySubsequences: false)
            guard parts.count == 3, parts[0].count == 4, let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
                  (1...12).contains(month), (1...31).contains(day)
            else { return nil }
            self.year = year
            self.month = month
            self.day = day
            // 2026-02-31 is not a day (Calendar would quietly make it March 3).
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = TimeZone(identifier: "UTC")!
            guard let date = calendar.date(from: DateComponents(year: year, month: month, day: day)),
                  calendar.component(.day, from: date) == day
            else { return nil }
        }

        /// Midnight at the start of the next day.
        public func end(in timeZone: TimeZone) -> Date {
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = timeZone
            return calendar.date(byAdding: .day, value: 1, to: start(in: timeZone)) ?? .distantFuture
        }

        /// Midnight at the start of the day.
        public func start(in timeZone: TimeZone) -> Date {
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = timeZone
            return calendar.date(from: DateComponents(year: year, month: month, day: day)) ?? .distantPast
        }

        public var description: String { String(format: "%04d-%02d-%02d", year, month, day) }
    }

    /// One condition.
    public indirect enum Clause: Sendable, Equatable {
        case match(Field, String)
        case after(Day)
        case before(Day)
        case on(Day)
        case hasAttachment(Bool)
        case direction(String)
        case kind(ArchiveCopyKind)
        case larger(Int)
        case smaller(Int)
        case not(Clause)
        case or([Clause])
    }

    /// All must hold.
    public var clauses: [Clause]

    public init(clauses: [Clause]) {
        self.clauses = clauses
    }

    /// Parses `text`; an empty query matches everything.
    public static func parse(_ text: String) throws(ArchiveError) -> ArchiveQuery {
        var clauses = [Clause]()
        var pendingOr = false
        for token in try tokens(text) {
            if token.text == "OR" && !token.quoted && !token.negated && token.field == nil {
                guard !clauses.isEmpty else { throw .query("OR needs a word before it") }
                pendingOr = true
                continue
            }
            var clause = try clause(token)
            if token.negated { clause = .not(clause) }
            if pendingOr, let last = clauses.popLast() {
                if case .or(let options) = last { clause = .or(options + [clause]) } else { clause = .or([last, clause]) }
                pendingOr = false
            }
            clauses.append(clause)
        }
        if pendingOr { throw .query("OR needs a word after it") }
        return ArchiveQuery(clauses: clauses)
    }

    private struct Token {
        var field: String?
        var text: String
        var quoted: Bool
        var negated: Bool
    }

    private static let fieldNames: [String: Field] = [
        "from": .from, "to": .to, "cc": .cc, "subject": .subject, "body": .body, "attachment": .attachment,
        "filename": .attachment, "file": .attachment, "sender": .sender, "rcpt": .recipient, "recipient": .recipient,
        "id": .messageID, "message-id": .messageID, "queue": .queueID,
    ]
    private static let otherFields: Set<String> = ["after", "before", "on", "has", "direction", "kind", "larger", "smaller"]

    private static func clause(_ token: Token) throws(ArchiveError) -> Clause {
        guard let name = token.field else { return .match(.any, token.text) }
        if let field = fieldNames[name] {
            guard !token.text.isEmpty else { throw .query("\(name): needs a value") }
            return .match(field, token.text)
        }
        switch name {
        case "after", "before", "on":
            guard let day = Day(token.text) else { throw .query("\(name): takes a date as YYYY-MM-DD, not '\(token.text)'") }
            return name == "after" ? .after(day) : name == "before" ? .before(day) : .on(day)
        case "has":
            guard ["attachment", "attachments", "file"].contains(token.text.lowercased()) else {
                throw .query("has: knows only 'attachment', not '\(token.text)'")
            }
            return .hasAttachment(true)
        case "direction":
            let value = token.text.lowercased()
            guard ["inbound", "outbound", "internal", "mixed"].contains(value) else {
                throw .query("direction: is inbound, outbound, internal or mixed, not '\(token.text)'")
            }
            return .direction(value)
        case "kind":
            guard let kind = ArchiveCopyKind(rawValue: token.text.lowercased()) else {
                throw .query("kind: is received or delivered, not '\(token.text)'")
            }
            return .kind(kind)
        default:
            guard let size = size(token.text) else { throw .query("\(name): takes a size like 500k or 2M, not '\(token.text)'") }
            return name == "larger" ? .larger(size) : .smaller(size)
        }
    }

    static func size(_ text: String) -> Int? {
        let lower = text.lowercased()
        let units: [(String, Int)] = [("kb", 1024), ("mb", 1 << 20), ("gb", 1 << 30), ("k", 1024), ("m", 1 << 20), ("g", 1 << 30), ("b", 1)]
        for (suffix, factor) in units where lower.hasSuffix(suffix) {
            guard let number = Double(lower.dropLast(suffix.count)), number >= 0, number < 1e12 else { return nil }
            return Int(number * Double(factor))
        }
        guard let number = Int(lower), number >= 0 else { return nil }
        return number
    }

    /// Splits on spaces (ASCII and the ideographic space U+3000), keeping quoted runs whole.
    private static func tokens(_ text: String) throws(ArchiveError) -> [Token] {
        var result = [Token]()
        // Control characters (NUL ends SQLite text) count as spaces.
        var characters = Array(text.map { $0.unicodeScalars.allSatisfy { $0.properties.generalCategory == .control } ? " " : $0 })[...]
        func isSpace(_ character: Character) -> Bool { character.isWhitespace }
        while true {
            while let first = characters.first, isSpace(first) { characters.removeFirst() }
            guard !characters.isEmpty else { break }
            var negated = false
            if characters.first == "-", characters.count > 1, let next = characters.dropFirst().first, !isSpace(next) {
                negated = true
                characters.removeFirst()
            }
            var field: String?
            // A field name is ASCII letters and '-' followed by ':'.
            if let colon = characters.firstIndex(of: ":"), colon > characters.startIndex {
                let name = String(characters[characters.startIndex..<colon]).lowercased()
                if name.allSatisfy({ $0.isASCII && ($0.isLetter || $0 == "-") }), fieldNames[name] != nil || otherFields.contains(name) {
                    field = name
                    characters = characters[(colon + 1)...]
                }
            }
            var value = ""
            var quoted = false
            if characters.first == "\"" {
                quoted = true
                characters.removeFirst()
                guard let end = characters.firstIndex(of: "\"") else { throw .query("a quote is not closed") }
                value = String(characters[characters.startIndex..<end])
                characters = characters[(end + 1)...]
            } else {
                while let first = characters.first, !isSpace(first) {
                    value.append(first)
                    characters.removeFirst()
                }
            }
            if field == nil && !quoted && value.isEmpty { continue }
            if field == nil && value.isEmpty && quoted { continue }
            result.append(Token(field: field, text: value, quoted: quoted, negated: negated))
        }
        return result
    }
}

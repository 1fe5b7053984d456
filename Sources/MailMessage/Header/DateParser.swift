/// RFC 5322 `Date:` values (with the obsolete forms: two-digit years, named zones, missing
/// seconds or weekday, extra comments), parsed to seconds since 1970.
public enum DateParser {
    private static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    private static let zones: [String: Int] = [
        "ut": 0, "utc": 0, "gmt": 0, "z": 0, "est": -5 * 60, "edt": -4 * 60, "cst": -6 * 60, "cdt": -5 * 60,
        "mst": -7 * 60, "mdt": -6 * 60, "pst": -8 * 60, "pdt": -7 * 60, "jst": 9 * 60,
    ]

    /// Seconds since 1970-01-01T00:00:00Z, or `nil` when the value is not a date.
    public static func parse(_ text: String) -> Int64? {
        var cleaned = ""
        var depth = 0
        for character in text {
            if character == "(" { depth += 1; continue }
            if character == ")" { depth = max(0, depth - 1); continue }
            if depth == 0 { cleaned.append(character == "," ? " " : character) }
        }
        var tokens = cleaned.split(whereSeparator: { $0 == " " || $0 == "\t" }).map { $0.lowercased() }
        if let first = tokens.first, first.count >= 3, Int(first) == nil, months.firstIndex(of: String(first.prefix(3))) == nil {
            tokens.removeFirst()  // weekday
        }
        guard tokens.count >= 4 else { return nil }
        guard let day = Int(tokens[0]), (1...31).contains(day) else { return nil }
        guard let month = months.firstIndex(of: String(tokens[1].prefix(3))) else { return nil }
        guard var year = Int(tokens[2]) else { return nil }
        if tokens[2].count <= 2 { year += year < 50 ? 2000 : 1900 } else if tokens[2].count == 3 { year += 1900 }
        guard (1...9999).contains(year) else { return nil }
        let time = tokens[3].split(separator: ":").map { Int($0) }
        guard time.count >= 2, let hour = time[0], let minute = time[1], (0...23).contains(hour), (0...59).contains(minute) else { return nil }
        let second = time.count > 2 ? (time[2] ?? 0) : 0
        var offsetMinutes = 0
        if tokens.count >= 5 {
            let zone = tokens[4]
            if let sign = zone.first, sign == "+" || sign == "-", zone.count == 5, let value = Int(zone.dropFirst()), value >= 0 {
                offsetMinutes = (value / 100 * 60 + value % 100) * (sign == "-" ? -1 : 1)
            } else if let named = zones[zone] {
                offsetMinutes = named
            }
        }
        let days = daysFromCivil(year: year, month: month + 1, day: day)
        return Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + min(second, 60)) - Int64(offsetMinutes * 60)
    }

    /// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}

import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The MS-DOS date and time of a header (APPNOTE 4.4.6): 2-second resolution, years 1980–2107,
/// local time with no zone field (readers show it as their own local time).
struct DOSDateTime: Equatable {
    /// Bits 15–11 hour, 10–5 minute, 4–0 second / 2.
    var time: UInt16
    /// Bits 15–9 year − 1980, 8–5 month, 4–0 day.
    var date: UInt16

    /// 1980-01-01 00:00:00, the earliest value.
    static let earliest = DOSDateTime(time: 0, date: 1 << 5 | 1)
    /// 2107-12-31 23:59:58, the latest value.
    static let latest = DOSDateTime(time: 23 << 11 | 59 << 5 | 29, date: 127 << 9 | 12 << 5 | 31)

    init(time: UInt16, date: UInt16) {
        self.time = time
        self.date = date
    }

    /// `date` in `timeZone` — or, for `nil`, in the C library's local time zone (`TZ`,
    /// /etc/localtime) — clamped to 1980-01-01 00:00:00 ... 2107-12-31 23:59:58; odd seconds
    /// round down. Plain arithmetic: no calendar or ICU data is loaded.
    init(_ date: Date, timeZone: TimeZone?) {
        let interval = date.timeIntervalSince1970.rounded(.down)
        // Far outside 1980...2107 in any time zone: clamp before converting to an integer.
        guard interval > -1e12 else {
            self = .earliest
            return
        }
        guard interval < 1e12 else {
            self = .latest
            return
        }
        let seconds = Int64(interval)
        let offset = timeZone.map { Int64($0.secondsFromGMT(for: date)) } ?? Self.localOffset(at: seconds)
        let local = seconds + offset
        let days = local >= 0 ? local / 86_400 : (local - 86_399) / 86_400
        let secondOfDay = local - days * 86_400
        let (year, month, day) = Self.civil(fromDays: days)
        if year < 1980 {
            self = .earliest
        } else if year > 2107 {
            self = .latest
        } else {
            let hour = secondOfDay / 3600
            let minute = secondOfDay / 60 % 60
            let second = secondOfDay % 60
            self.time = UInt16(hour << 11 | minute << 5 | second / 2)
            self.date = UInt16((year - 1980) << 9 | month << 5 | day)
        }
    }

    /// The C library's UTC offset of the local time zone at `seconds` since 1970.
    private static func localOffset(at seconds: Int64) -> Int64 {
        var time = time_t(seconds)
        var parts = tm()
        guard localtime_r(&time, &parts) != nil else { return 0 }
        return Int64(parts.tm_gmtoff)
    }

    /// Proleptic Gregorian year, month (1–12) and day (1–31) of a day number (0 = 1970-01-01),
    /// after Howard Hinnant's `civil_from_days`.
    static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

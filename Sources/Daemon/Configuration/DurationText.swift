/// Durations as the policy file writes them: `30s`, `500ms`, `5m`, `2h`, `7d` (a bare number is
/// seconds), at most a year.
enum DurationText {
    static func parse(_ text: String) -> Duration? {
        let text = text.trimmed().lowercased()
        let digits = text.prefix { $0.isNumber || $0 == "." }
        let unit = String(text.dropFirst(digits.count)).trimmed()
        let scale: [String: Double] = ["": 1, "s": 1, "ms": 0.001, "m": 60, "min": 60, "h": 3600, "d": 86_400]
        guard let value = Double(digits), value.isFinite, value >= 0, let factor = scale[unit], value * factor <= 366 * 86_400 else { return nil }
        return .milliseconds(Int64(value * factor * 1000))
    }
}

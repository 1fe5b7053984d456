/// Retention periods as the policy file writes them: whole days (`90d`), weeks (`12w`) or years
/// (`10y` = 3650 days); beyond the one-year cap of ordinary durations, at most 100 years.
enum RetentionText {
    static func days(_ text: String) -> Int? {
        let text = text.trimmed().lowercased()
        let digits = text.prefix { $0.isNumber }
        let unit = String(text.dropFirst(digits.count)).trimmed()
        let factor: [String: Int] = ["d": 1, "w": 7, "y": 365]
        guard let value = Int(digits), value >= 1, let scale = factor[unit], value * scale <= 36_500 else { return nil }
        return value * scale
    }
}

import Foundation

/// Reads a filter's string parameters into types, remembering which keys it used so that a
/// misspelt key is an error rather than a silently ignored setting.
struct ParameterReader {
    private let parameters: [String: String]
    private let filter: String
    private var used = Set<String>()

    init(_ parameters: [String: String], filter: String) {
        self.parameters = parameters
        self.filter = filter
    }

    mutating func string(_ key: String) -> String? {
        used.insert(key)
        return parameters[key]
    }

    mutating func bool(_ key: String, default fallback: Bool) throws(FilterError) -> Bool {
        guard let text = string(key)?.lowercased() else { return fallback }
        switch text {
        case "true", "yes", "on", "1": return true
        case "false", "no", "off", "0": return false
        default: throw error(key, "must be true or false, not \(text)")
        }
    }

    mutating func integer(_ key: String, default fallback: Int, range: ClosedRange<Int>) throws(FilterError) -> Int {
        guard let text = string(key) else { return fallback }
        guard let value = Int(text), range.contains(value) else {
            throw error(key, "must be a whole number from \(range.lowerBound) to \(range.upperBound), not \(text)")
        }
        return value
    }

    /// A duration: `30s`, `5m`, `12h`, `7d`.
    mutating func duration(_ key: String) throws(FilterError) -> Duration? {
        guard let text = string(key) else { return nil }
        guard let value = DurationText.parse(text) else { throw error(key, "must be a duration like 12h or 7d, not \(text)") }
        return value
    }

    /// A byte size: `512`, `10K`, `25M`, `1G`.
    mutating func size(_ key: String) throws(FilterError) -> Int? {
        guard let text = string(key) else { return nil }
        let multipliers: [Character: Int] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30]
        var digits = Substring(text.uppercased())
        var multiplier = 1
        if let last = digits.last, let factor = multipliers[last] {
            multiplier = factor
            digits = digits.dropLast()
        }
        guard let value = Int(digits), value >= 0 else { throw error(key, "must be a size like 512K or 10M, not \(text)") }
        let (bytes, overflow) = value.multipliedReportingOverflow(by: multiplier)
        guard !overflow else { throw error(key, "is too large: \(text)") }
        return bytes
    }

    mutating func choice<T: RawRepresentable & CaseIterable>(_ key: String, default fallback: T) throws(FilterError) -> T where T.RawValue == String {
        guard let text = string(key) else { return fallback }
        guard let value = T(rawValue: text.lowercased()) else {
            throw error(key, "must be one of \(T.allCases.map(\.rawValue).joined(separator: ", ")), not \(text)")
        }
        return value
    }

    /// A comma-separated list (a YAML list arrives joined with commas).
    mutating func list(_ key: String) -> [String] {
        guard let text = string(key) else { return [] }
        return text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    func error(_ key: String, _ reason: String) -> FilterError {
        FilterError(filter: filter, reason: "\(key) \(reason)")
    }

    /// Fails on keys nobody asked for.
    func finish() throws(FilterError) {
        let unknown = Set(parameters.keys).subtracting(used)
        if let key = unknown.sorted().first { throw error(key, "is not a parameter of \(filter)") }
    }
}

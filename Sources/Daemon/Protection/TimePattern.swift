import Foundation

/// strftime-style fields in names and fixed passwords (`AttachFile.%Y%m%d.zip`, `secret%Y%m`),
/// as SaMMA writes them. Pure: the time and zone are arguments.
///
/// Fields: `%Y` year, `%y` two-digit year, `%m` month, `%d` day, `%H` hour, `%M` minute,
/// `%S` second, `%j` day of the year, `%%` a percent sign. Anything else after `%` is kept as
/// written.
public struct TimePattern: Sendable, Hashable {
    /// The pattern as configured.
    public let pattern: String

    public init(_ pattern: String) {
        self.pattern = pattern
    }

    /// The pattern with its fields filled in for `date` in `timeZone`.
    public func format(_ date: Date, timeZone: TimeZone = .current) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let dayOfYear = calendar.ordinality(of: .day, in: .year, for: date) ?? 1
        func two(_ value: Int?) -> String { String(format: "%02d", value ?? 0) }
        var output = ""
        var iterator = pattern.makeIterator()
        while let character = iterator.next() {
            guard character == "%" else {
                output.append(character)
                continue
            }
            guard let field = iterator.next() else {
                output.append("%")
                break
            }
            switch field {
            case "Y": output += String(format: "%04d", parts.year ?? 0)
            case "y": output += two((parts.year ?? 0) % 100)
            case "m": output += two(parts.month)
            case "d": output += two(parts.day)
            case "H": output += two(parts.hour)
            case "M": output += two(parts.minute)
            case "S": output += two(parts.second)
            case "j": output += String(format: "%03d", dayOfYear)
            case "%": output += "%"
            default:
                output.append("%")
                output.append(field)
            }
        }
        return output
    }
}

/// The `archive` action's parameters in a rule (over `filters.archive`):
///
/// - `retention`: delete the copy after this long (`90d`, `12w`, `10y`); absent keeps
///   `archive.retention` (or keeps it for ever).
/// - `delivered`: also keep the message as delivered, after Sekisho's changes (`yes`/`no`).
public struct ArchiveActionSettings: Sendable, Equatable {
    public var retentionDays: Int?
    public var delivered: Bool

    public init(_ parameters: [String: String], filter: String = "archive") throws(FilterError) {
        var reader = ParameterReader(parameters, filter: filter)
        if let text = reader.string("retention") {
            guard let days = RetentionText.days(text) else {
                throw FilterError(filter: filter, reason: "retention is whole days, weeks or years (90d, 12w, 10y), not \(text)")
            }
            retentionDays = days
        } else {
            retentionDays = nil
        }
        delivered = try reader.bool("delivered", default: false)
        try reader.finish()
    }
}

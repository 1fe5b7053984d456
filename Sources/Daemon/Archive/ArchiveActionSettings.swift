/// The `archive` action's parameters in a rule (over `filters.archive`):
///
/// - `retention`: delete the copy after this long (`3650d`, `90d`); absent keeps
///   `archive.retention` (or keeps it for ever).
/// - `delivered`: also keep the message as delivered, after Sekisho's changes (`yes`/`no`).
public struct ArchiveActionSettings: Sendable, Equatable {
    public var retentionDays: Int?
    public var delivered: Bool

    public init(_ parameters: [String: String], filter: String = "archive") throws(FilterError) {
        var reader = ParameterReader(parameters, filter: filter)
        if let retention = try reader.duration("retention") {
            let days = Int(retention.components.seconds / 86_400)
            guard days >= 1, retention.components.seconds % 86_400 == 0 else {
                throw FilterError(filter: filter, reason: "retention is in whole days (90d, 3650d)")
            }
            retentionDays = days
        } else {
            retentionDays = nil
        }
        delivered = try reader.bool("delivered", default: false)
        try reader.finish()
    }
}

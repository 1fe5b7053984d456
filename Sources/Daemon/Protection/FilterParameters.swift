/// Checks a filter's parameters once, when the configuration is loaded, with the same typed
/// readers the filter uses at run time: a typo or a bad value stops `check-config` and start-up
/// instead of failing mail later.
public enum FilterParameters {
    /// Throws when `parameters` are not valid for `filter`.
    public static func validate(filter: String, parameters: [String: String]) throws(FilterError) {
        switch filter {
        case "encrypt": _ = try EncryptSettings(parameters, filter: filter)
        case "strip": _ = try StripSettings(parameters, filter: filter)
        case "link": _ = try LinkFilterSettings(parameters, filter: filter)
        case "archive": _ = try ArchiveActionSettings(parameters, filter: filter)
        default: break
        }
    }
}

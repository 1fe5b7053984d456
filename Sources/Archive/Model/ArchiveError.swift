/// What went wrong in the archive, with a message fit for an administrator.
public enum ArchiveError: Error, CustomStringConvertible, Sendable, Equatable {
    /// A file or database that should exist does not.
    case notFound(String)
    /// Writing the copy failed (disk full, permissions): the message gets the failure action.
    case storage(String)
    /// The stored file is not what the catalogue says (missing, size or digest differs).
    case corrupt(String)
    /// A search the query language does not accept, with the reason.
    case query(String)
    /// A setting that cannot work.
    case configuration(String)

    public var description: String {
        switch self {
        case .notFound(let text): "not found: \(text)"
        case .storage(let text): "archive storage: \(text)"
        case .corrupt(let text): "archive corrupt: \(text)"
        case .query(let text): "search: \(text)"
        case .configuration(let text): "archive configuration: \(text)"
        }
    }
}

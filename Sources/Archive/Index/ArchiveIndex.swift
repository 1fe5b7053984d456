import Foundation
import GRDB

/// The searchable catalogue of the archive (SQLite FTS5, trigram tokenizer).
public final class ArchiveIndex: Sendable {
    public let database: ArchiveDatabase
    /// Days in `after:`/`before:`/`on:` are read in this zone.
    public let timeZone: TimeZone

    public init(database: ArchiveDatabase, timeZone: TimeZone = .current) {
        self.database = database
        self.timeZone = timeZone
    }
}

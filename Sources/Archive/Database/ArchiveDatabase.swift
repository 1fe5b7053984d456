import Foundation
import GRDB
import GRDBSQLite

/// The archive's SQLite database (GRDB, WAL): the message catalogue, its FTS5 trigram index,
/// legal holds, and the web UI's accounts, sessions and audit log. One file, opened once per
/// process; every store of this module shares it.
public final class ArchiveDatabase: Sendable {
    /// The connections: a pool (readers run beside the single writer) for the gateway and the
    /// web UI, one connection for a short-lived command (half the opening work).
    public let pool: any DatabaseWriter
    /// Where the file is.
    public let path: String

    /// Opens (creating when `create` is true) the database at `path` and brings its schema up
    /// to date; `singleConnection` for one-shot commands.
    public init(path: String, create: Bool = true, singleConnection: Bool = false) throws {
        let url = URL(fileURLWithPath: path, isDirectory: false)
        if !create && !FileManager.default.fileExists(atPath: path) {
            throw ArchiveError.notFound("no archive database at \(path)")
        }
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750])
        // Mail text, addresses, password hashes and the audit log: readable by the owner only.
        // SQLite gives the -wal and -shm files the database file's mode.
        if !FileManager.default.fileExists(atPath: path) {
            let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            if descriptor >= 0 { close(descriptor) }
        }
        chmod(path, 0o600)
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            // Keep the -wal file when the last connection closes: every short-lived CLI search
            // would otherwise create it again (and fsync the directory).
            var persist: Int32 = 1
            sqlite3_file_control(db.sqliteConnection, "main", SQLITE_FCNTL_PERSIST_WAL, &persist)
            // FULL: a hold or an account change the UI confirmed survives a power loss.
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        if singleConnection {
            configuration.journalMode = .wal
            pool = try DatabaseQueue(path: path, configuration: configuration)
        } else {
            pool = try DatabasePool(path: path, configuration: configuration)
        }
        self.path = path
        // Most opens (every CLI search) find the schema current: a read, not a write transaction.
        let migrator = Self.migrator
        if try !pool.read({ try migrator.hasCompletedMigrations($0) }) {
            try migrator.migrate(pool)
        }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        ArchiveSchema.register(in: &migrator)
        AccountSchema.register(in: &migrator)
        return migrator
    }
}

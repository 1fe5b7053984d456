import Foundation
import GRDB

/// A row of `link`. Times are Unix seconds (REAL). See docs/links.md, "Database".
struct LinkRecord: Codable, Sendable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "link"
    static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

    var id: Int64?
    /// SHA-256 (hex) of the download token.
    var tokenDigest: String
    /// SHA-256 (hex) of the revoke token.
    var revokeDigest: String
    /// HKDF salt for the key-encryption key.
    var keySalt: Data
    /// The link key wrapped under the token's key-encryption key; `NULL` once purged.
    var wrappedKey: Data?
    /// ``PasswordHash/encoded``, or `NULL` without a password.
    var passwordHash: String?
    var createdAt: Double
    var expiresAt: Double
    var maximumDownloads: Int?
    var sender: String
    /// JSON array of addresses.
    var recipients: String
    var subject: String
    var messageId: String?
    var queueId: String?
    var notifyFirstDownload: Bool
    var firstDownloadAt: Double?
    /// When the first-download notice was handed to the gateway (never twice).
    var noticeSentAt: Double?
    var revokedAt: Double?
    /// When the blobs and the wrapped key were deleted.
    var purgedAt: Double?

    mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }

    var recipientList: [String] {
        (try? JSONDecoder().decode([String].self, from: Data(recipients.utf8))) ?? []
    }

    /// Active, expired, revoked or exhausted, at `now`, given the files' download counts.
    func state(now: Date, downloads: [Int]) -> LinkState {
        if revokedAt != nil { return .revoked }
        if purgedAt != nil || expiresAt <= now.timeIntervalSince1970 { return .expired }
        if let maximumDownloads, !downloads.isEmpty, downloads.allSatisfy({ $0 >= maximumDownloads }) {
            return .exhausted
        }
        return .active
    }
}

/// A row of `link_file`: one file of a link, in download-index order (`position`).
struct FileRecord: Codable, Sendable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "link_file"
    static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

    var id: Int64?
    var linkId: Int64
    var position: Int
    var name: String
    var contentType: String
    var size: Int64
    /// SHA-256 (hex) of the plaintext.
    var sha256: String
    /// The blob's name in ``BlobStore``.
    var blob: String
    /// Downloads under way or completed (a failed one gives its count back).
    var downloads: Int

    mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }

    var file: LinkFile { LinkFile(name: name, contentType: contentType, size: size, sha256: sha256) }
}

/// A row of `link_audit`.
struct AuditRecord: Codable, Sendable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "link_audit"
    static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

    var id: Int64?
    var linkId: Int64?
    var time: Double
    var clientAddress: String
    var userAgent: String?
    var fileIndex: Int?
    var bytes: Int64
    var outcome: String

    mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }

    var entry: AuditEntry {
        AuditEntry(
            id: id ?? 0, linkID: linkId, time: Date(timeIntervalSince1970: time), clientAddress: clientAddress,
            userAgent: userAgent, fileIndex: fileIndex, bytes: bytes, outcome: AuditOutcome(rawValue: outcome))
    }
}

/// The schema, created and upgraded by GRDB's migrator.
enum LinkSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.create(table: LinkRecord.databaseTableName) { table in
                table.autoIncrementedPrimaryKey("id")
                table.column("token_digest", .text).notNull().unique()
                table.column("revoke_digest", .text).notNull().unique()
                table.column("key_salt", .blob).notNull()
                table.column("wrapped_key", .blob)
                table.column("password_hash", .text)
                table.column("created_at", .double).notNull()
                table.column("expires_at", .double).notNull().indexed()
                table.column("maximum_downloads", .integer)
                table.column("sender", .text).notNull()
                table.column("recipients", .text).notNull()
                table.column("subject", .text).notNull()
                table.column("message_id", .text)
                table.column("queue_id", .text)
                table.column("notify_first_download", .boolean).notNull()
                table.column("first_download_at", .double)
                table.column("notice_sent_at", .double)
                table.column("revoked_at", .double)
                table.column("purged_at", .double)
            }
            try db.create(table: FileRecord.databaseTableName) { table in
                table.autoIncrementedPrimaryKey("id")
                table.column("link_id", .integer).notNull().references(LinkRecord.databaseTableName, onDelete: .cascade)
                table.column("position", .integer).notNull()
                table.column("name", .text).notNull()
                table.column("content_type", .text).notNull()
                table.column("size", .integer).notNull()
                table.column("sha256", .text).notNull()
                table.column("blob", .text).notNull()
                table.column("downloads", .integer).notNull().defaults(to: 0)
                table.uniqueKey(["link_id", "position"])
            }
            try db.create(table: AuditRecord.databaseTableName) { table in
                table.autoIncrementedPrimaryKey("id")
                table.column("link_id", .integer).references(LinkRecord.databaseTableName, onDelete: .setNull)
                table.column("time", .double).notNull()
                table.column("client_address", .text).notNull()
                table.column("user_agent", .text)
                table.column("file_index", .integer)
                table.column("bytes", .integer).notNull().defaults(to: 0)
                table.column("outcome", .text).notNull()
            }
            try db.create(
                index: "link_audit_link_time", on: AuditRecord.databaseTableName, columns: ["link_id", "time"])
            try db.create(
                index: "link_audit_client_time", on: AuditRecord.databaseTableName, columns: ["client_address", "time"])
        }
        return migrator
    }
}

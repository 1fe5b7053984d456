import Crypto
import Foundation
import GRDB
import NIOPosix

/// The link store: encrypted blobs under `directory/blobs/` and the records in
/// `directory/links.sqlite` (GRDB, WAL). See docs/links.md.
///
/// Safe to share between tasks: the database pool serialises writes, blob files are immutable
/// once written, and blocking work (file I/O, password hashing) runs on NIO's thread pool.
public final class LinkStore: Sendable {
    /// The settings the store was opened with.
    public let settings: LinkSettings
    /// `directory/links.sqlite`.
    public let databasePath: String
    let database: DatabasePool
    let blobs: BlobStore
    /// The current time (injected by tests).
    let clock: @Sendable () -> Date

    private init(
        settings: LinkSettings, databasePath: String, database: DatabasePool, blobs: BlobStore,
        clock: @escaping @Sendable () -> Date
    ) {
        self.settings = settings
        self.databasePath = databasePath
        self.database = database
        self.blobs = blobs
        self.clock = clock
    }

    /// Opens the store, creating the directory (mode 0700), the blob directory and the
    /// database when missing, and bringing the schema up to date.
    /// - Throws: ``LinkError`` for invalid settings or a directory that cannot be created; a
    ///   GRDB `DatabaseError` when the database cannot be opened or migrated.
    public static func open(settings: LinkSettings) async throws -> LinkStore {
        try await open(settings: settings, clock: { Date() })
    }

    /// Opens the store with a clock of the caller's (tests move time forward with it).
    public static func open(settings: LinkSettings, clock: @escaping @Sendable () -> Date) async throws -> LinkStore {
        try settings.validate()
        let blobs = BlobStore(root: settings.directory + "/blobs")
        let path = settings.directory + "/links.sqlite"
        let database = try await NIOThreadPool.singleton.runIfActive { () throws -> DatabasePool in
            if !FileManager.default.fileExists(atPath: settings.directory) {
                do {
                    try FileManager.default.createDirectory(
                        atPath: settings.directory, withIntermediateDirectories: true,
                        attributes: [.posixPermissions: 0o700])
                } catch {
                    throw LinkError.storage("cannot create the link directory: \(error)", path: settings.directory)
                }
            }
            try blobs.prepare()
            var configuration = Configuration()
            configuration.busyMode = .timeout(10)
            // Zero what a purge removes (wrapped keys) instead of leaving it in free pages.
            configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA secure_delete = ON") }
            let pool = try DatabasePool(path: path, configuration: configuration)
            _ = chmod(path, 0o600)
            try LinkSchema.migrator.migrate(pool)
            return pool
        }
        return LinkStore(settings: settings, databasePath: path, database: database, blobs: blobs, clock: clock)
    }

    /// Stores a link: streams each file into an encrypted blob under a fresh link key, wraps the
    /// key under the new token, and records the link. Memory use is flat in file size.
    /// - Throws: ``LinkError`` (invalidLink) for no files, an expiry not in the future, a cap
    ///   below 1 or an empty password; ``LinkError`` (storage) or what a content closure throws
    ///   when a blob cannot be written; a GRDB error when the record cannot be stored. Nothing is
    ///   left behind on failure.
    public func create(_ link: NewLink) async throws -> CreatedLink {
        let now = clock()
        guard !link.files.isEmpty else { throw LinkError.invalidLink("a link needs at least one file") }
        guard link.expires > now else {
            throw LinkError.invalidLink("the expiry time \(link.expires) is not in the future")
        }
        let maximumDownloads = link.maximumDownloads ?? settings.maximumDownloads
        if let maximumDownloads, maximumDownloads < 1 {
            throw LinkError.invalidLink("maximumDownloads must be at least 1, not \(maximumDownloads)")
        }
        if link.password?.isEmpty == true { throw LinkError.invalidLink("the password is empty (use nil for none)") }

        var generator = SystemRandomNumberGenerator()
        let token = LinkSecrets.makeToken(using: &generator)
        let revokeToken = LinkSecrets.makeToken(using: &generator)
        let salt = LinkSecrets.randomBytes(LinkSecrets.saltBytes, using: &generator)
        let linkKey = SymmetricKey(size: .bits256)
        let wrappedKey = try LinkSecrets.wrap(linkKey, token: token, salt: salt)
        let files = link.files
        let password = link.password
        let blobs = self.blobs
        let (stored, passwordHash) = try await NIOThreadPool.singleton.runIfActive {
            () throws -> ([StoredBlob], String?) in
            var generator = SystemRandomNumberGenerator()
            let hash = try password.map { try PasswordHash.make(password: $0, using: &generator).encoded }
            var written = [StoredBlob]()
            do {
                for file in files { written.append(try blobs.write(key: linkKey, content: file.content)) }
            } catch {
                for blob in written { try? blobs.remove(blob.name) }
                throw error
            }
            return (written, hash)
        }
        let linkFiles = zip(files, stored).map { file, blob in
            LinkFile(
                name: Self.cleanName(file.name), contentType: Self.cleanContentType(file.contentType), size: blob.size,
                sha256: blob.sha256)
        }
        let record = LinkRecord(
            id: nil, tokenDigest: LinkSecrets.lookupDigest(of: token),
            revokeDigest: LinkSecrets.lookupDigest(of: revokeToken),
            keySalt: Data(salt), wrappedKey: Data(wrappedKey), passwordHash: passwordHash,
            createdAt: now.timeIntervalSince1970,
            expiresAt: link.expires.timeIntervalSince1970, maximumDownloads: maximumDownloads, sender: link.sender,
            recipients: String(decoding: try JSONEncoder().encode(link.recipients), as: UTF8.self),
            subject: link.subject,
            messageId: link.messageID, queueId: link.queueID, notifyFirstDownload: link.notifySenderOnFirstDownload,
            firstDownloadAt: nil, noticeSentAt: nil, revokedAt: nil, purgedAt: nil)
        let id: Int64
        do {
            id = try await database.write { db in
                var row = record
                try row.insert(db)
                guard let id = row.id else { throw LinkError.storage("the database assigned no id") }
                for (position, (file, blob)) in zip(linkFiles, stored).enumerated() {
                    var row = FileRecord(
                        id: nil, linkId: id, position: position, name: file.name, contentType: file.contentType,
                        size: file.size,
                        sha256: file.sha256, blob: blob.name, downloads: 0)
                    try row.insert(db)
                }
                return id
            }
        } catch {
            try? await NIOThreadPool.singleton.runIfActive { for blob in stored { try? blobs.remove(blob.name) } }
            throw error
        }
        return CreatedLink(
            id: id, token: token, url: settings.pageURL(token: token), revokeToken: revokeToken,
            revokeURL: settings.revokeURL(token: revokeToken), files: linkFiles, expires: link.expires)
    }

    /// Revokes a link and deletes its blobs and wrapped key at once.
    /// - Returns: whether this call revoked it (`false`: no such link, or already revoked).
    /// - Throws: a GRDB error, or ``LinkError`` (storage) when a blob cannot be removed (the
    ///   link is revoked all the same, and the janitor retries the removal).
    @discardableResult
    public func revoke(id: Int64) async throws -> Bool {
        let now = clock().timeIntervalSince1970
        let changed = try await database.write { db in
            try LinkRecord.filter(key: id).filter(Column("revoked_at") == nil).updateAll(
                db, Column("revoked_at").set(to: now))
        }
        guard changed > 0 else { return false }
        _ = try await purge(ids: [id], now: clock())
        return true
    }

    /// Revokes the link with this download token or revoke token.
    /// - Returns: whether this call revoked it (`false`: no such token, or already revoked).
    @discardableResult
    public func revoke(token: String) async throws -> Bool {
        guard let id = try await linkID(matching: token, downloadToken: true, revokeToken: true) else { return false }
        return try await revoke(id: id)
    }

    /// Every link, oldest first; with `includeExpired` false only those still downloadable
    /// (``LinkState/active``).
    public func list(includeExpired: Bool) async throws -> [LinkSummary] {
        let now = clock()
        return try await database.read { db in
            let links = try LinkRecord.order(Column("id")).fetchAll(db)
            let files = Dictionary(
                grouping: try FileRecord.order(Column("link_id"), Column("position")).fetchAll(db), by: \.linkId)
            return links.compactMap { link -> LinkSummary? in
                let rows = files[link.id ?? 0] ?? []
                let state = link.state(now: now, downloads: rows.map(\.downloads))
                guard includeExpired || state == .active else { return nil }
                return LinkSummary(
                    id: link.id ?? 0, created: Date(timeIntervalSince1970: link.createdAt),
                    expires: Date(timeIntervalSince1970: link.expiresAt),
                    state: state, sender: link.sender, recipients: link.recipientList, subject: link.subject,
                    messageID: link.messageId,
                    queueID: link.queueId, hasPassword: link.passwordHash != nil,
                    maximumDownloads: link.maximumDownloads,
                    files: rows.map { LinkSummary.File(file: $0.file, downloads: $0.downloads) },
                    firstDownload: link.firstDownloadAt.map(Date.init(timeIntervalSince1970:)),
                    revoked: link.revokedAt.map(Date.init(timeIntervalSince1970:)),
                    purged: link.purgedAt.map(Date.init(timeIntervalSince1970:)))
            }
        }
    }

    /// The audit trail of a link, oldest first.
    public func audit(linkID: Int64) async throws -> [AuditEntry] {
        try await database.read { db in
            try AuditRecord.filter(Column("link_id") == linkID).order(Column("id")).fetchAll(db).map(\.entry)
        }
    }

    /// The id of the link whose download token (and/or revoke token) is `token`. The digest is
    /// looked up by index, then compared again in constant time.
    func linkID(matching token: String, downloadToken: Bool, revokeToken: Bool) async throws -> Int64? {
        guard LinkSecrets.isWellFormed(token) else { return nil }
        let digest = LinkSecrets.lookupDigest(of: token)
        let found = try await database.read { db -> (id: Int64, token: String, revoke: String)? in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: "SELECT id, token_digest, revoke_digest FROM link WHERE token_digest = ? OR revoke_digest = ?",
                    arguments: [digest, digest])
            else { return nil }
            return (row["id"], row["token_digest"], row["revoke_digest"])
        }
        guard let found else { return nil }
        let matches =
            (downloadToken && LinkSecrets.constantTimeEqual(Array(found.token.utf8), Array(digest.utf8)))
            || (revokeToken && LinkSecrets.constantTimeEqual(Array(found.revoke.utf8), Array(digest.utf8)))
        return matches ? found.id : nil
    }

    /// A file name safe to show and send: control characters removed, never empty.
    static func cleanName(_ name: String) -> String {
        let cleaned = String(
            String.UnicodeScalarView(name.unicodeScalars.filter { !CharacterSet.controlCharacters.contains($0) }))
        let trimmed = cleaned.trimmingCharacters(in: .whitespaces)
        return trimmed.isEmpty ? "attachment" : trimmed
    }

    /// `type/subtype` (parameters kept) when it looks like a MIME type, else `application/octet-stream`.
    static func cleanContentType(_ type: String) -> String {
        let allowed = CharacterSet(
            charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$&-^_.+;=\"/ ")
        let essence =
            type.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        let parts = essence.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, type.unicodeScalars.allSatisfy(allowed.contains),
            type.count <= 200
        else {
            return "application/octet-stream"
        }
        return type
    }
}

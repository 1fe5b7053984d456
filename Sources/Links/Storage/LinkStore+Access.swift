import Crypto
import Foundation
import GRDB
import NIOPosix

/// Who is asking, as far as the audit trail is concerned.
struct ClientInfo: Hashable, Sendable {
    /// IP address.
    var address: String
    /// `User-Agent`, cut to 300 characters.
    var userAgent: String?
}

/// What the download page shows about a link.
struct LinkView: Sendable {
    struct File: Sendable {
        var file: LinkFile
        /// Downloads left, or `nil` when unlimited.
        var remaining: Int?
    }

    var id: Int64
    var sender: String
    var subject: String
    var expires: Date
    var hasPassword: Bool
    var files: [File]
}

/// A download the store has allowed and counted; the server streams it and reports back with
/// ``LinkStore/finishDownload(_:bytes:outcome:)``.
struct DownloadTicket: Sendable {
    var linkID: Int64
    var fileIndex: Int
    var file: LinkFile
    var blobPath: String
    var key: SymmetricKey
    /// The audit row written as `started`.
    var auditID: Int64
    var fileRowID: Int64
    var client: ClientInfo
}

/// The store's side of the HTTP endpoints: every call here writes its audit row.
extension LinkStore {
    /// The link behind a page request, or why not.
    enum PageLookup: Sendable {
        case found(LinkView)
        case refused(AuditOutcome)
    }

    /// The answer to a download request.
    enum DownloadStart: Sendable {
        case granted(DownloadTicket)
        case refused(AuditOutcome, linkID: Int64?)
    }

    /// The link behind a revoke token.
    enum RevokeLookup: Sendable {
        case notFound
        case found(id: Int64, subject: String, alreadyRevoked: Bool)
    }

    /// Looks up the page for a download token; audits `viewed`, `not-found`, `revoked`,
    /// `expired` or `over-cap` (every file at its cap).
    func page(token: String, client: ClientInfo) async throws -> PageLookup {
        let now = clock()
        guard let id = try await linkID(matching: token, downloadToken: true, revokeToken: false),
            let (link, files) = try await load(id)
        else {
            try await recordAudit(linkID: nil, client: client, fileIndex: nil, outcome: .notFound)
            return .refused(.notFound)
        }
        let state = link.state(now: now, downloads: files.map(\.downloads))
        let outcome: AuditOutcome =
            switch state {
            case .active: .viewed
            case .expired: .expired
            case .revoked: .revoked
            case .exhausted: .overCap
            }
        try await recordAudit(linkID: id, client: client, fileIndex: nil, outcome: outcome)
        guard state == .active else { return .refused(outcome) }
        return .found(
            LinkView(
                id: id, sender: link.sender, subject: link.subject,
                expires: Date(timeIntervalSince1970: link.expiresAt),
                hasPassword: link.passwordHash != nil,
                files: files.map { row in
                    LinkView.File(file: row.file, remaining: link.maximumDownloads.map { max(0, $0 - row.downloads) })
                }))
    }

    /// Decides a download (``AccessPolicy``), verifies the password if there is one, unwraps the
    /// link key with the token, and counts the download (it is given back if the transfer does
    /// not complete). Refusals are audited here; a grant is audited `started`.
    ///
    /// A password attempt is written as `bad-password` in the same transaction that checks the
    /// failure counts, before the password is verified, and turned into `started` (or another
    /// outcome) once it verifies; so however many guesses arrive at once, at most
    /// ``LinkSettings/passwordAttemptsPerWindow`` get verified per link and per client.
    func beginDownload(token: String, fileIndex: Int, password: String?, client: ClientInfo) async throws
        -> DownloadStart
    {
        let now = clock()
        guard let id = try await linkID(matching: token, downloadToken: true, revokeToken: false),
            let (link, files) = try await load(id)
        else {
            try await recordAudit(linkID: nil, client: client, fileIndex: fileIndex, outcome: .notFound)
            return .refused(.notFound, linkID: nil)
        }
        guard let row = files.first(where: { $0.position == fileIndex }), let rowID = row.id else {
            try await recordAudit(linkID: id, client: client, fileIndex: fileIndex, outcome: .notFound)
            return .refused(.notFound, linkID: id)
        }
        // Decide and record in one write transaction: a password attempt is counted as a
        // failure before the (slow) verification, so parallel guesses cannot overrun the limit.
        let stamp = now.timeIntervalSince1970
        let since = stamp - settings.attemptWindow.timeInterval
        let limit = settings.passwordAttemptsPerWindow
        let (verdict, attemptID) = try await database.write { db -> (AccessPolicy.Verdict, Int64?) in
            let failures =
                link.passwordHash != nil && password != nil
                ? try Self.recentFailures(db, linkID: id, client: client.address, since: since) : (0, 0)
            let facts = AccessPolicy.Facts(
                revoked: link.revokedAt != nil, expired: link.purgedAt != nil || link.expiresAt <= stamp,
                downloads: row.downloads,
                maximumDownloads: link.maximumDownloads, hasPassword: link.passwordHash != nil,
                passwordGiven: password != nil,
                recentFailuresForLink: failures.0, recentFailuresForClient: failures.1, attemptLimit: limit)
            let verdict = AccessPolicy.decide(facts)
            switch verdict {
            case .refuse(let outcome):
                _ = try Self.insertAudit(
                    db, linkID: id, client: client, fileIndex: fileIndex, outcome: outcome, time: stamp)
                return (verdict, nil)
            case .verifyPassword:
                return (
                    verdict,
                    try Self.insertAudit(
                        db, linkID: id, client: client, fileIndex: fileIndex, outcome: .badPassword, time: stamp)
                )
            case .allow:
                return (verdict, nil)
            }
        }
        // From here on the attempt's audit row (the provisional one of a password attempt, or
        // a new one) tells how it ended.
        func refuseAfterCheck(_ outcome: AuditOutcome) async throws -> DownloadStart {
            if let attemptID {
                try await database.write { db in
                    try db.execute(
                        sql: "UPDATE link_audit SET outcome = ? WHERE id = ?", arguments: [outcome.rawValue, attemptID])
                }
            } else {
                try await recordAudit(linkID: id, client: client, fileIndex: fileIndex, outcome: outcome)
            }
            return .refused(outcome, linkID: id)
        }
        switch verdict {
        case .refuse(let outcome):
            return .refused(outcome, linkID: id)
        case .verifyPassword:
            guard let hash = try? PasswordHash(encoded: link.passwordHash ?? "") else {
                return try await refuseAfterCheck(.corrupt)
            }
            let given = password ?? ""
            let verified = try await NIOThreadPool.singleton.runIfActive { hash.verify(given) }
            guard verified else { return .refused(.badPassword, linkID: id) }
        case .allow:
            break
        }
        guard let wrapped = link.wrappedKey,
            let key = try? LinkSecrets.unwrap(Array(wrapped), token: token, salt: Array(link.keySalt))
        else {
            return try await refuseAfterCheck(.corrupt)
        }
        let blobPath: String
        do { blobPath = try blobs.path(of: row.blob) } catch { return try await refuseAfterCheck(.corrupt) }
        let maximum = link.maximumDownloads
        let auditID = try await database.write { db -> Int64? in
            // Count the download only if it is still within the cap and the link still live.
            try db.execute(
                sql: """
                    UPDATE link_file SET downloads = downloads + 1
                    WHERE id = ? AND (? IS NULL OR downloads < ?)
                      AND EXISTS (SELECT 1 FROM link WHERE id = ? AND revoked_at IS NULL AND purged_at IS NULL)
                    """, arguments: [rowID, maximum, maximum, id])
            guard db.changesCount == 1 else { return nil }
            if let attemptID {
                try db.execute(
                    sql: "UPDATE link_audit SET outcome = ? WHERE id = ?",
                    arguments: [AuditOutcome.started.rawValue, attemptID])
                return attemptID
            }
            return try Self.insertAudit(
                db, linkID: id, client: client, fileIndex: fileIndex, outcome: .started, time: stamp)
        }
        guard let auditID else { return try await refuseAfterCheck(.overCap) }
        return .granted(
            DownloadTicket(
                linkID: id, fileIndex: fileIndex, file: row.file, blobPath: blobPath, key: key, auditID: auditID,
                fileRowID: rowID,
                client: client))
    }

    /// Records how a granted download ended. A download that did not complete gives its count
    /// back. The first completed download of a link stamps `first_download_at`; when the link
    /// asked for it and no notice was handed out before, it also stamps `notice_sent_at` and
    /// returns the ``FirstDownload`` (exactly once per link, across restarts).
    func finishDownload(_ ticket: DownloadTicket, bytes: Int64, outcome: AuditOutcome) async throws -> FirstDownload? {
        let now = clock()
        let stamp = now.timeIntervalSince1970
        return try await database.write { db -> FirstDownload? in
            try db.execute(
                sql: "UPDATE link_audit SET outcome = ?, bytes = ? WHERE id = ?",
                arguments: [outcome.rawValue, bytes, ticket.auditID])
            guard outcome == .ok else {
                try db.execute(
                    sql: "UPDATE link_file SET downloads = downloads - 1 WHERE id = ? AND downloads > 0",
                    arguments: [ticket.fileRowID])
                return nil
            }
            try db.execute(
                sql: "UPDATE link SET first_download_at = ? WHERE id = ? AND first_download_at IS NULL",
                arguments: [stamp, ticket.linkID])
            try db.execute(
                sql:
                    "UPDATE link SET notice_sent_at = ? WHERE id = ? AND notify_first_download AND notice_sent_at IS NULL",
                arguments: [stamp, ticket.linkID])
            guard db.changesCount == 1, let link = try LinkRecord.fetchOne(db, key: ticket.linkID) else { return nil }
            return FirstDownload(
                linkID: ticket.linkID, sender: link.sender, subject: link.subject, messageID: link.messageId,
                fileName: ticket.file.name,
                clientAddress: ticket.client.address, time: now)
        }
    }

    /// The link behind a revoke token (the revoke page), without changing anything.
    func revokeTarget(revokeToken: String) async throws -> RevokeLookup {
        guard let id = try await linkID(matching: revokeToken, downloadToken: false, revokeToken: true),
            let link = try await database.read({ db in try LinkRecord.fetchOne(db, key: id) })
        else { return .notFound }
        return .found(id: id, subject: link.subject, alreadyRevoked: link.revokedAt != nil)
    }

    /// Revokes through the revoke URL; audits `revoke` (or `not-found`).
    func revokeByURL(revokeToken: String, client: ClientInfo) async throws -> RevokeLookup {
        let target = try await revokeTarget(revokeToken: revokeToken)
        switch target {
        case .notFound:
            try await recordAudit(linkID: nil, client: client, fileIndex: nil, outcome: .notFound)
        case .found(let id, _, let alreadyRevoked):
            try await recordAudit(linkID: id, client: client, fileIndex: nil, outcome: .revokedByURL)
            if !alreadyRevoked { try await revoke(id: id) }
        }
        return target
    }

    /// Writes one audit row.
    func recordAudit(linkID: Int64?, client: ClientInfo, fileIndex: Int?, outcome: AuditOutcome, bytes: Int64 = 0)
        async throws
    {
        let stamp = clock().timeIntervalSince1970
        _ = try await database.write { db in
            try Self.insertAudit(
                db, linkID: linkID, client: client, fileIndex: fileIndex, outcome: outcome, time: stamp, bytes: bytes)
        }
    }

    private func load(_ id: Int64) async throws -> (LinkRecord, [FileRecord])? {
        try await database.read { db in
            guard let link = try LinkRecord.fetchOne(db, key: id) else { return nil }
            let files = try FileRecord.filter(Column("link_id") == id).order(Column("position")).fetchAll(db)
            return (link, files)
        }
    }

    /// Wrong passwords since `since`: for the link, and from the client address (any link).
    private static func recentFailures(_ db: Database, linkID: Int64, client: String, since: Double) throws -> (
        Int, Int
    ) {
        let outcome = AuditOutcome.badPassword.rawValue
        let row = try Row.fetchOne(
            db,
            sql: """
                SELECT (SELECT COUNT(*) FROM link_audit WHERE link_id = ? AND outcome = ? AND time > ?),
                       (SELECT COUNT(*) FROM link_audit WHERE client_address = ? AND outcome = ? AND time > ?)
                """, arguments: [linkID, outcome, since, client, outcome, since])
        return (row?[0] ?? 0, row?[1] ?? 0)
    }

    /// Inserts one audit row and returns its id.
    static func insertAudit(
        _ db: Database, linkID: Int64?, client: ClientInfo, fileIndex: Int?, outcome: AuditOutcome, time: Double,
        bytes: Int64 = 0
    ) throws -> Int64 {
        var audit = AuditRecord(
            id: nil, linkId: linkID, time: time, clientAddress: client.address, userAgent: client.userAgent,
            fileIndex: fileIndex,
            bytes: bytes, outcome: outcome.rawValue)
        try audit.insert(db)
        return audit.id ?? 0
    }
}

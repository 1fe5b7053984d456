import Foundation
import GRDB

/// What a web UI user did (the audit log's `action`).
public enum ArchiveAuditAction: String, Sendable, CaseIterable {
    case login
    case loginFailed = "login-failed"
    case loginThrottled = "login-throttled"
    case logout
    case search
    case view
    /// A message or attachment URL outside the user's scope (answered 404).
    case denied
    case downloadEML = "download-eml"
    case downloadAttachment = "download-attachment"
    case export
    case hold
    case release
}

/// One line of the audit log.
public struct ArchiveAuditEntry: Sendable, Equatable {
    public var id: Int64
    public var at: Date
    public var account: String
    public var action: ArchiveAuditAction
    /// The query, the message id, the attachment: what the action was about. Never a secret.
    public var detail: String
    public var client: String?
}

/// The append-only audit log of the web UI: sign-ins (and failed ones), searches, every
/// message viewed or downloaded, exports, holds. Administrators read it on the admin page.
public final class ArchiveAudit: Sendable {
    let database: ArchiveDatabase
    let now: @Sendable () -> Date

    public init(database: ArchiveDatabase, now: @escaping @Sendable () -> Date = Date.init) {
        self.database = database
        self.now = now
    }

    /// Appends one entry. `detail` is cut to 2000 characters.
    public func record(account: String, action: ArchiveAuditAction, detail: String = "", client: String?) async throws {
        let at = now().timeIntervalSince1970
        try await database.pool.write { db in
            try db.execute(
                sql: "INSERT INTO audit (at, account, action, detail, client) VALUES (?, ?, ?, ?, ?)",
                arguments: [at, account, action.rawValue, String(detail.prefix(2000)), client])
        }
    }

    /// Entries, newest first; `account` limits them to one user.
    public func list(account: String? = nil, limit: Int = 100, offset: Int = 0) async throws -> [ArchiveAuditEntry] {
        try await database.pool.read { db in
            let filter = account == nil ? "" : "WHERE account = ?"
            var arguments: StatementArguments = account.map { [$0] } ?? []
            arguments += [limit, offset]
            return try Row.fetchAll(db, sql: "SELECT * FROM audit \(filter) ORDER BY id DESC LIMIT ? OFFSET ?", arguments: arguments).map { row in
                ArchiveAuditEntry(
                    id: row["id"], at: Date(timeIntervalSince1970: row["at"]), account: row["account"],
                    action: ArchiveAuditAction(rawValue: row["action"]) ?? .denied, detail: row["detail"], client: row["client"])
            }
        }
    }

    /// How many entries there are (for paging).
    public func count(account: String? = nil) async throws -> Int {
        try await database.pool.read { db in
            account == nil
                ? try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM audit") ?? 0
                : try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM audit WHERE account = ?", arguments: [account]) ?? 0
        }
    }

    /// Failed sign-ins since `since` for this name from this client, and from this client for any name.
    func failures(account: String, client: String, since: Date) async throws -> (pair: Int, client: Int) {
        try await database.pool.read { db in
            let pair = try Int.fetchOne(
                db, sql: "SELECT COUNT(*) FROM audit WHERE action = 'login-failed' AND at > ? AND account = ? AND client = ?",
                arguments: [since.timeIntervalSince1970, account, client]) ?? 0
            let all = try Int.fetchOne(
                db, sql: "SELECT COUNT(*) FROM audit WHERE action = 'login-failed' AND at > ? AND client = ?",
                arguments: [since.timeIntervalSince1970, client]) ?? 0
            return (pair, all)
        }
    }
}

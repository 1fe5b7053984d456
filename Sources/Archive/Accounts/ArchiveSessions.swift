import Crypto
import Foundation
import GRDB
import Links

/// A signed-in browser: its account (enabled, loaded fresh at every request) and the CSRF
/// token its forms must send back.
public struct ArchiveSession: Sendable, Equatable {
    public var account: ArchiveAccount
    public var csrfToken: String
    public var expiresAt: Date

    /// Whether `candidate` is this session's CSRF token (constant-time comparison).
    public func acceptsCSRF(_ candidate: String?) -> Bool {
        guard let candidate else { return false }
        return LinkSecrets.constantTimeEqual(Array(candidate.utf8), Array(csrfToken.utf8))
    }
}

/// Web UI sessions. The cookie carries 256 random bits (base64url) from the system CSPRNG;
/// the database keeps only their SHA-256, so a copy of the database opens no session. Each
/// session has its own random CSRF token. Sessions end at their expiry (``lifetime`` after
/// sign-in), at logout, and when the account is disabled or its password changes.
public final class ArchiveSessions: Sendable {
    let database: ArchiveDatabase
    /// How long a session lasts after sign-in.
    public let lifetime: TimeInterval
    let now: @Sendable () -> Date

    public init(database: ArchiveDatabase, lifetime: TimeInterval = 8 * 3600, now: @escaping @Sendable () -> Date = Date.init) {
        self.database = database
        self.lifetime = lifetime
        self.now = now
    }

    /// Starts a session for `account` and returns the cookie token (shown once, never stored).
    public func start(for account: ArchiveAccount, client: String?) async throws -> (token: String, session: ArchiveSession) {
        var generator = SystemRandomNumberGenerator()
        let token = LinkSecrets.base64URL(LinkSecrets.randomBytes(32, using: &generator))
        let csrf = LinkSecrets.base64URL(LinkSecrets.randomBytes(32, using: &generator))
        let created = now()
        let expires = created.addingTimeInterval(lifetime)
        try await database.pool.write { db in
            try db.execute(sql: "DELETE FROM session WHERE expires_at <= ?", arguments: [created.timeIntervalSince1970])
            try db.execute(
                sql: "INSERT INTO session (token_digest, account, csrf_token, created_at, expires_at, client) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [Self.digest(token), account.name, csrf, created.timeIntervalSince1970, expires.timeIntervalSince1970, client])
        }
        return (token, ArchiveSession(account: account, csrfToken: csrf, expiresAt: expires))
    }

    /// The live session of a cookie token, or `nil` (unknown, expired, or its account disabled).
    public func session(token: String) async throws -> ArchiveSession? {
        guard Self.isWellFormed(token) else { return nil }
        let instant = now().timeIntervalSince1970
        return try await database.pool.read { db in
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT a.*, s.csrf_token, s.expires_at FROM session s JOIN account a ON a.name = s.account
                    WHERE s.token_digest = ? AND s.expires_at > ? AND a.disabled = 0
                    """,
                arguments: [Self.digest(token), instant])
            return row.map { ArchiveSession(account: ArchiveAccounts.account($0), csrfToken: $0["csrf_token"], expiresAt: Date(timeIntervalSince1970: $0["expires_at"])) }
        }
    }

    /// Ends the session of a cookie token (logout).
    public func end(token: String) async throws {
        try await database.pool.write { db in
            try db.execute(sql: "DELETE FROM session WHERE token_digest = ?", arguments: [Self.digest(token)])
        }
    }

    /// How many sessions are live (for tests and the admin page).
    public func count() async throws -> Int {
        let instant = now().timeIntervalSince1970
        return try await database.pool.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM session WHERE expires_at > ?", arguments: [instant]) ?? 0
        }
    }

    /// SHA-256 of the token text, hex: what the database stores.
    static func digest(_ token: String) -> String {
        LinkSecrets.hex(SHA256.hash(data: Array(token.utf8)))
    }

    /// 43 base64url characters (anything else is not looked up).
    static func isWellFormed(_ token: String) -> Bool {
        token.utf8.count == 43 && token.utf8.allSatisfy { byte in
            (0x30...0x39).contains(byte) || (0x41...0x5a).contains(byte) || (0x61...0x7a).contains(byte) || byte == 0x2d || byte == 0x5f
        }
    }
}

import Foundation
import GRDB
import Links
import NIOPosix

/// The web UI's users in the archive database: create, list, disable, set a password, and
/// check one at login.
///
/// Passwords are stored as PBKDF2-HMAC-SHA256 (``PasswordHash``, 210 000 rounds, random salt)
/// and compared in constant time. Checking runs on NIO's blocking pool, and a login for an
/// unknown or disabled user hashes against a dummy, so the answer takes the same time whether
/// the name exists or not.
public final class ArchiveAccounts: Sendable {
    let database: ArchiveDatabase
    let now: @Sendable () -> Date
    /// Hash verified when the user is unknown, so that case costs the same time.
    private let dummy: PasswordHash

    public init(database: ArchiveDatabase, now: @escaping @Sendable () -> Date = Date.init) throws {
        self.database = database
        self.now = now
        var generator = SystemRandomNumberGenerator()
        dummy = try PasswordHash.make(password: UUID().uuidString, using: &generator)
    }

    /// Adds a user.
    /// - Throws: ``ArchiveAccountError`` for a bad name, an empty password, a bad domain, an
    ///   auditor without domains, or a name already taken.
    @discardableResult
    public func create(name: String, password: String, role: ArchiveRole, domains: [String] = []) async throws -> ArchiveAccount {
        try Self.validate(name: name)
        guard !password.isEmpty else { throw ArchiveAccountError(.emptyPassword, name) }
        let domains = try Self.normalized(domains)
        if role == .auditor && domains.isEmpty { throw ArchiveAccountError(.auditorWithoutDomains, name) }
        let hash = try await Self.hash(password)
        let account = ArchiveAccount(name: name, role: role, domains: role == .admin ? [] : domains, createdAt: now(), disabled: false)
        try await database.pool.write { db in
            guard try Row.fetchOne(db, sql: "SELECT 1 FROM account WHERE name = ?", arguments: [name]) == nil else {
                throw ArchiveAccountError(.exists, name)
            }
            try db.execute(
                sql: "INSERT INTO account (name, password_hash, role, domains, created_at, disabled) VALUES (?, ?, ?, ?, ?, 0)",
                arguments: [name, hash.encoded, role.rawValue, account.domains.joined(separator: ","), account.createdAt.timeIntervalSince1970])
        }
        return account
    }

    /// Every user, by name.
    public func list() async throws -> [ArchiveAccount] {
        try await database.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM account ORDER BY name").map(Self.account)
        }
    }

    /// One user, or `nil`.
    public func account(named name: String) async throws -> ArchiveAccount? {
        try await database.pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM account WHERE name = ?", arguments: [name]).map(Self.account)
        }
    }

    /// Disables (or enables again) a user; disabling also ends every session of theirs.
    /// - Throws: ``ArchiveAccountError`` (`unknown`).
    public func setDisabled(_ name: String, _ disabled: Bool = true) async throws {
        try await database.pool.write { db in
            try db.execute(sql: "UPDATE account SET disabled = ? WHERE name = ?", arguments: [disabled, name])
            guard db.changesCount == 1 else { throw ArchiveAccountError(.unknown, name) }
            if disabled { try db.execute(sql: "DELETE FROM session WHERE account = ?", arguments: [name]) }
        }
    }

    /// Replaces a user's password and ends their sessions.
    /// - Throws: ``ArchiveAccountError`` (`emptyPassword`, `unknown`).
    public func setPassword(_ name: String, to password: String) async throws {
        guard !password.isEmpty else { throw ArchiveAccountError(.emptyPassword, name) }
        let hash = try await Self.hash(password)
        try await database.pool.write { db in
            try db.execute(sql: "UPDATE account SET password_hash = ? WHERE name = ?", arguments: [hash.encoded, name])
            guard db.changesCount == 1 else { throw ArchiveAccountError(.unknown, name) }
            try db.execute(sql: "DELETE FROM session WHERE account = ?", arguments: [name])
        }
    }

    /// The user when `password` is theirs and the account is enabled; else `nil`, after the
    /// same amount of work.
    public func verify(name: String, password: String) async throws -> ArchiveAccount? {
        let found: (hash: String, account: ArchiveAccount)? = try await database.pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM account WHERE name = ?", arguments: [name]).map { ($0["password_hash"], Self.account($0)) }
        }
        let stored = found.flatMap { try? PasswordHash(encoded: $0.hash) }
        let hash = stored ?? dummy
        let matches = try await NIOThreadPool.singleton.runIfActive { hash.verify(password) }
        guard matches, stored != nil, let account = found?.account else { return nil }
        return account.disabled ? nil : account
    }

    static func account(_ row: Row) -> ArchiveAccount {
        let domains: String = row["domains"]
        return ArchiveAccount(
            name: row["name"], role: ArchiveRole(rawValue: row["role"]) ?? .auditor,
            domains: domains.split(separator: ",").map(String.init),
            createdAt: Date(timeIntervalSince1970: row["created_at"]), disabled: row["disabled"])
    }

    private static func hash(_ password: String) async throws -> PasswordHash {
        try await NIOThreadPool.singleton.runIfActive {
            var generator = SystemRandomNumberGenerator()
            return try PasswordHash.make(password: password, using: &generator)
        }
    }

    /// 1–64 characters of letters, digits and `._@-`.
    static func validate(name: String) throws(ArchiveAccountError) {
        let allowed = name.unicodeScalars.allSatisfy { ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || "._@-".unicodeScalars.contains($0) }
        guard (1...64).contains(name.count), allowed else { throw ArchiveAccountError(.invalidName, name) }
    }

    /// Lower-cased, without a leading `@` or dot, each a plausible DNS name; duplicates removed.
    static func normalized(_ domains: [String]) throws(ArchiveAccountError) -> [String] {
        var out = [String]()
        for raw in domains {
            var domain = raw.trimmingCharacters(in: .whitespaces).lowercased()
            while domain.hasPrefix("@") || domain.hasPrefix(".") { domain.removeFirst() }
            let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
            let valid = !domain.isEmpty && domain.count <= 253 && labels.allSatisfy { label in
                !label.isEmpty && label.count <= 63 && !label.hasPrefix("-") && !label.hasSuffix("-")
                    && label.unicodeScalars.allSatisfy { ($0.isASCII && $0.properties.isAlphabetic) || ("0"..."9").contains($0) || $0 == "-" }
            }
            guard valid else { throw ArchiveAccountError(.invalidDomain, raw) }
            if !out.contains(domain) { out.append(domain) }
        }
        return out
    }
}

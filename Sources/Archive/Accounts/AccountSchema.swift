import GRDB

/// The web UI's tables: `account` (name, PBKDF2 hash, role, the auditor's domains as a
/// comma-separated list), `session` (only the SHA-256 of the cookie token is stored, with the
/// session's CSRF token), and the append-only `audit` log.
enum AccountSchema {
    static func register(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("accounts-v1") { db in
            try db.execute(sql: """
                CREATE TABLE account (
                    name TEXT PRIMARY KEY,
                    password_hash TEXT NOT NULL,
                    role TEXT NOT NULL,
                    domains TEXT NOT NULL,
                    created_at REAL NOT NULL,
                    disabled INTEGER NOT NULL DEFAULT 0
                );
                CREATE TABLE session (
                    token_digest TEXT PRIMARY KEY,
                    account TEXT NOT NULL REFERENCES account(name) ON DELETE CASCADE,
                    csrf_token TEXT NOT NULL,
                    created_at REAL NOT NULL,
                    expires_at REAL NOT NULL,
                    client TEXT
                );
                CREATE INDEX session_expires ON session(expires_at);
                CREATE TABLE audit (
                    id INTEGER PRIMARY KEY,
                    at REAL NOT NULL,
                    account TEXT NOT NULL,
                    action TEXT NOT NULL,
                    detail TEXT NOT NULL,
                    client TEXT
                );
                CREATE INDEX audit_at ON audit(at);
                CREATE INDEX audit_action_at ON audit(action, at);
                """)
        }
    }
}

import GRDB

/// The catalogue: one row per stored copy (`message`), the addresses and domains it concerns
/// (`message_address`, for auditor scopes), its text in the FTS5 table `message_text` (trigram
/// tokenizer: Japanese, which has no spaces, is found anywhere inside a sentence), and legal
/// holds (`hold`; the messages a hold covers in `hold_message`; a held search is also re-run
/// before anything is deleted, so messages archived after the hold are covered too).
/// `message_bigram` (contentless) holds the two-character pieces of the CJK text
/// (``CJKBigrams``), so two-character Japanese words are found through an index too.
/// Times are Unix seconds.
enum ArchiveSchema {
    static func register(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("archive-v1") { db in
            try db.execute(sql: """
                CREATE TABLE message (
                    id INTEGER PRIMARY KEY,
                    key TEXT NOT NULL UNIQUE,
                    path TEXT NOT NULL,
                    folders TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    received_at REAL NOT NULL,
                    date REAL,
                    sender TEXT NOT NULL,
                    recipients TEXT NOT NULL,
                    client_address TEXT,
                    queue_id TEXT,
                    message_id TEXT,
                    subject TEXT NOT NULL,
                    from_text TEXT NOT NULL,
                    to_text TEXT NOT NULL,
                    cc_text TEXT NOT NULL,
                    size INTEGER NOT NULL,
                    direction TEXT NOT NULL,
                    has_attachment INTEGER NOT NULL,
                    attachment_names TEXT NOT NULL,
                    compressed INTEGER NOT NULL,
                    sha256 TEXT NOT NULL,
                    delete_after REAL
                );
                CREATE INDEX message_received ON message(received_at);
                CREATE INDEX message_delete_after ON message(delete_after) WHERE delete_after IS NOT NULL;
                CREATE TABLE message_address (
                    message_id INTEGER NOT NULL REFERENCES message(id) ON DELETE CASCADE,
                    address TEXT NOT NULL,
                    domain TEXT NOT NULL
                );
                CREATE INDEX message_address_domain ON message_address(domain, message_id);
                CREATE INDEX message_address_message ON message_address(message_id);
                CREATE VIRTUAL TABLE message_text USING fts5(
                    subject, sender, recipients, cc, body, attachments,
                    tokenize = 'trigram'
                );
                CREATE VIRTUAL TABLE message_bigram USING fts5(
                    subject, sender, recipients, cc, body, attachments,
                    content = '', tokenize = 'unicode61'
                );
                CREATE TABLE hold (
                    id INTEGER PRIMARY KEY,
                    query TEXT,
                    reason TEXT NOT NULL,
                    created_by TEXT NOT NULL,
                    created_at REAL NOT NULL,
                    released_by TEXT,
                    released_at REAL
                );
                CREATE TABLE hold_message (
                    hold_id INTEGER NOT NULL REFERENCES hold(id) ON DELETE CASCADE,
                    message_id INTEGER NOT NULL REFERENCES message(id) ON DELETE CASCADE,
                    PRIMARY KEY (hold_id, message_id)
                );
                CREATE INDEX hold_message_message ON hold_message(message_id);
                """)
        }
    }
}

import Foundation
import GRDB
import NIOPosix

extension LinkStore {
    /// How old an unreferenced blob or temporary file must be before ``deleteExpired(now:)``
    /// removes it (a younger one may belong to a link being created).
    static let orphanAge: TimeInterval = 3600

    /// Deletes the blobs and wrapped keys of links that expired (at `now`) or were revoked, and
    /// marks them purged; the records and the audit trail stay. Also removes blobs no live link
    /// refers to (left by a crash) once they are an hour old.
    /// - Returns: how many links it purged.
    /// - Throws: a GRDB error, or ``LinkError`` (storage) when a blob cannot be removed (the
    ///   link is marked purged anyway and the blob goes with the next orphan sweep).
    public func deleteExpired(now: Date) async throws -> Int {
        let stamp = now.timeIntervalSince1970
        let due = try await database.read { db in
            try Int64.fetchAll(
                db,
                sql:
                    "SELECT id FROM link WHERE purged_at IS NULL AND (expires_at <= ? OR revoked_at IS NOT NULL) ORDER BY id",
                arguments: [stamp])
        }
        let purged = try await purge(ids: due, now: now)
        let keep = try await database.read { db in
            Set(
                try String.fetchAll(
                    db,
                    sql:
                        "SELECT link_file.blob FROM link_file JOIN link ON link.id = link_file.link_id WHERE link.purged_at IS NULL"
                ))
        }
        let blobs = self.blobs
        let cutoff = now.addingTimeInterval(-Self.orphanAge)
        _ = try await NIOThreadPool.singleton.runIfActive { blobs.sweep(keeping: keep, modifiedBefore: cutoff) }
        return purged
    }

    /// Marks links purged (dropping the wrapped key first, so the data is unreadable even if a
    /// blob survives: crypto-shredding), then removes their blobs. The database runs with
    /// `secure_delete`, and the WAL is checkpointed and truncated afterwards, so the wrapped key
    /// does not linger in free pages or old WAL frames. Returns how many it marked.
    func purge(ids: [Int64], now: Date) async throws -> Int {
        var count = 0
        let stamp = now.timeIntervalSince1970
        for id in ids {
            let names = try await database.write { db -> [String]? in
                try db.execute(
                    sql: "UPDATE link SET purged_at = ?, wrapped_key = NULL WHERE id = ? AND purged_at IS NULL",
                    arguments: [stamp, id])
                guard db.changesCount == 1 else { return nil }
                return try String.fetchAll(db, sql: "SELECT blob FROM link_file WHERE link_id = ?", arguments: [id])
            }
            guard let names else { continue }
            count += 1
            let blobs = self.blobs
            try await NIOThreadPool.singleton.runIfActive { for name in names { try blobs.remove(name) } }
        }
        if count > 0 {
            // Move the pages without the keys into the database file and empty the WAL, so no
            // older copy of a wrapped key stays on disk (best effort: a reader may hold the WAL).
            _ = try? await database.writeWithoutTransaction { db in try db.checkpoint(.truncate) }
        }
        return count
    }
}

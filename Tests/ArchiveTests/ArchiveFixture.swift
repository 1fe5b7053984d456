import Archive
import Foundation
import TestSupport

/// A fresh archive in a temporary directory.
struct ArchiveFixture {
    let root: URL
    let database: ArchiveDatabase
    let store: ArchiveStore

    init(folderPattern: String = ".%y.%m.%d", compress: Bool = false, timeZone: TimeZone = TimeZone(identifier: "Asia/Tokyo")!) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("archive-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        database = try ArchiveDatabase(path: root.appendingPathComponent("sekisho/index.sqlite").path)
        store = try ArchiveStore(
            settings: ArchiveStoreSettings(root: root, folderPattern: folderPattern, compress: compress, timeZone: timeZone, hostName: "test.example"),
            database: database
        )
    }

    static func envelope(
        sender: String = "tanaka@example.co.jp", recipients: [String] = ["suzuki@example.net"], at date: Date = Date(timeIntervalSince1970: 1_780_000_000),
        retentionDays: Int? = nil
    ) -> ArchiveEnvelope {
        ArchiveEnvelope(sender: sender, recipients: recipients, clientAddress: "192.0.2.7", queueID: "4Q1abc", receivedAt: date, direction: "outbound", retentionDays: retentionDays)
    }

    /// ``ArchiveStore/save(_:envelope:)`` off the cooperative pool (it fsyncs).
    func save(_ bytes: [UInt8], envelope: ArchiveEnvelope) async throws -> ArchivedMessage {
        let store = store
        return try await offPool { try store.save(bytes, envelope: envelope) }
    }

    /// ``ArchiveStore/write(_:envelope:savedFor:)`` off the cooperative pool.
    func write(_ bytes: [UInt8], envelope: ArchiveEnvelope, savedFor: [String]? = nil) async throws -> StoredCopy {
        let store = store
        return try await offPool { try store.write(bytes, envelope: envelope, savedFor: savedFor) }
    }

    func remove() {
        try? FileManager.default.removeItem(at: root)
    }
}

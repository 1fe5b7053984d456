import Archive
import Foundation

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

    func remove() {
        try? FileManager.default.removeItem(at: root)
    }
}

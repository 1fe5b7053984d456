import Archive
import Foundation
import GRDB
import Testing
import TestSupport

@Suite struct ArchiveRetentionTests {
    @Test func retentionDeletesUnlessHeld() async throws {
        let fixture = try ArchiveFixture(folderPattern: ".%M")
        defer { fixture.remove() }
        let start = Date(timeIntervalSince1970: 1_780_000_000)
        let kept = try await fixture.save(try Corpus.bytes("p01"), envelope: ArchiveFixture.envelope(at: start, retentionDays: 30))
        let heldOne = try await fixture.save(try Corpus.bytes("p02"), envelope: ArchiveFixture.envelope(at: start, retentionDays: 30))
        let bySearch = try await fixture.save(try Corpus.bytes("p03"), envelope: ArchiveFixture.envelope(at: start, retentionDays: 30))
        let forever = try await fixture.save(try Corpus.bytes("p04"), envelope: ArchiveFixture.envelope(at: start, retentionDays: nil))
        try fixture.store.index.holdMessage(id: heldOne.id, reason: "case 12", by: "admin")
        try fixture.store.index.holdSearch("予算会議", reason: "case 13", by: "admin")
        // A message archived after the search hold and matching it is held too.
        let later = try await fixture.save(try Corpus.bytes("p03"), envelope: ArchiveFixture.envelope(at: start, retentionDays: 1))
        #expect(try fixture.store.index.message(id: heldOne.id, scope: .everything)?.held == true)

        #expect(try fixture.store.purgeExpired(now: start.addingTimeInterval(10 * 86_400)) == 0)
        #expect(try fixture.store.purgeExpired(now: start.addingTimeInterval(31 * 86_400)) == 1)
        #expect(try fixture.store.index.message(id: kept.id, scope: .everything) == nil)
        for url in kept.envelope.folders.map({ fixture.root.appendingPathComponent($0 + "/new") }) {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
            #expect(!names.contains { $0.hasPrefix(kept.key) })
        }
        for message in [heldOne, bySearch, forever, later] {
            #expect(try fixture.store.index.message(id: message.id, scope: .everything) != nil)
        }
        // Released holds no longer protect.
        for hold in try fixture.store.index.holds() where hold.isActive { try fixture.store.index.releaseHold(id: hold.id, by: "admin") }
        #expect(try fixture.store.purgeExpired(now: start.addingTimeInterval(31 * 86_400)) == 3)
        #expect(try fixture.store.index.count() == 1)
        #expect(try fixture.store.index.holds().count == 2)
    }

    @Test func exportsMboxAndZip() async throws {
        let fixture = try ArchiveFixture()
        defer { fixture.remove() }
        var saved = [ArchivedMessage]()
        for id in ["p01", "p03", "p10"] { saved.append(try await fixture.save(try Corpus.bytes(id), envelope: ArchiveFixture.envelope())) }
        let mbox = fixture.root.appendingPathComponent("export.mbox")
        try fixture.store.export(saved, format: .mbox, to: mbox)
        // Python's mailbox module reads it back: same count, same bodies (LF).
        let script = "import mailbox,sys\nm=mailbox.mbox(sys.argv[1])\nprint(len(m))\nfor x in m: print(x['Message-ID'])"
        let read = try await Tool.run("/usr/bin/python3", ["-c", script, mbox.path])
        #expect(read.output.split(separator: "\n").first == "3")
        let zip = fixture.root.appendingPathComponent("export.zip")
        try fixture.store.export(saved, format: .zip, to: zip)
        let test = try await Tool.run("/usr/bin/python3", ["-c", "import zipfile,sys,hashlib\nz=zipfile.ZipFile(sys.argv[1])\nfor n in z.namelist(): print(hashlib.sha256(z.read(n)).hexdigest())", zip.path])
        #expect(Set(test.output.split(separator: "\n").map(String.init)) == Set(saved.map(\.sha256)))
    }

    @Test func mboxQuotesFromLines() {
        let entry = String(decoding: ArchiveFixtureMbox.entry("Subject: x\r\n\r\nFrom here\r\n>From there\r\nok\r\n"), as: UTF8.self)
        #expect(entry.contains("\n>From here\n>>From there\nok\n"))
        #expect(!entry.contains("\r"))
    }
}

enum ArchiveFixtureMbox {
    static func entry(_ text: String) -> Data {
        ArchiveMbox.entry(Array(text.utf8), sender: "a@b", date: Date(timeIntervalSince1970: 0))
    }
}

/// Holds and retention at scale, and across a rebuild.
@Suite struct ArchiveHoldScaleTests {
    static func document(_ key: String, at date: Date, retentionDays: Int?) -> IndexDocument {
        let copy = StoredCopy(
            key: key, paths: [".x/new/\(key),S=1"], envelope: ArchiveFixture.envelope(at: date, retentionDays: retentionDays), size: 1, sha256: "", compressed: false
        )
        return IndexDocument(
            copy: copy, date: date, messageID: nil, subject: "s \(key)", from: "", to: "", cc: "", body: "body", attachmentNames: [], attachmentText: "",
            headerAddresses: []
        )
    }

    @Test func aHoldOnManyOldMessagesDoesNotStopNewerDeletions() throws {
        let fixture = try ArchiveFixture()
        defer { fixture.remove() }
        let start = Date(timeIntervalSince1970: 1_700_000_000)
        // 600 old messages, all held, then one newer expired message.
        try fixture.store.index.add((0..<600).map { Self.document("old\($0)", at: start, retentionDays: 1) })
        try fixture.store.index.add([Self.document("newer", at: start.addingTimeInterval(3600), retentionDays: 1)])
        let held = try fixture.store.index.messages(matching: try ArchiveQuery.parse("subject:old"), scope: .everything)
        #expect(held.count == 600)
        try fixture.store.index.holdSearch("subject:old", reason: "case", by: "admin")
        #expect(try fixture.store.purgeExpired(now: start.addingTimeInterval(5 * 86_400)) == 1)
        #expect(try fixture.store.index.count() == 600)
    }

    @Test func holdsSurviveAReindex() async throws {
        let fixture = try ArchiveFixture()
        defer { fixture.remove() }
        let start = Date(timeIntervalSince1970: 1_780_000_000)
        let message = try await fixture.save(try Corpus.bytes("p01"), envelope: ArchiveFixture.envelope(at: start, retentionDays: 1))
        _ = try await fixture.save(try Corpus.bytes("p02"), envelope: ArchiveFixture.envelope(at: start, retentionDays: 1))
        try fixture.store.index.holdMessage(id: message.id, reason: "case", by: "admin")
        try fixture.store.rebuildIndex()
        let again = try #require(try fixture.store.index.message(key: message.key))
        #expect(again.held)
        #expect(try fixture.store.purgeExpired(now: start.addingTimeInterval(3 * 86_400)) == 1)
        #expect(try fixture.store.index.message(key: message.key) != nil)
    }

    @Test func aHeldSearchThatNoLongerParsesStopsDeletion() async throws {
        let fixture = try ArchiveFixture()
        defer { fixture.remove() }
        let start = Date(timeIntervalSince1970: 1_780_000_000)
        _ = try await fixture.save(try Corpus.bytes("p01"), envelope: ArchiveFixture.envelope(at: start, retentionDays: 1))
        try fixture.store.index.holdSearch("subject:x", reason: "case", by: "admin")
        try await fixture.store.index.database.pool.write { db in try db.execute(sql: "UPDATE hold SET query = 'after:someday'") }
        #expect(throws: ArchiveError.self) { try fixture.store.purgeExpired(now: start.addingTimeInterval(3 * 86_400)) }
        #expect(try fixture.store.index.count() == 1)
    }

    @Test func negatedFieldsKeepCopiesWithoutTheFieldAndDaysAreReal() async throws {
        let fixture = try ArchiveFixture()
        defer { fixture.remove() }
        try fixture.store.index.add([Self.document("a", at: Date(timeIntervalSince1970: 1_780_000_000), retentionDays: nil)])
        try await fixture.store.index.database.pool.write { db in try db.execute(sql: "UPDATE message SET queue_id = NULL, message_id = NULL") }
        #expect(try fixture.store.index.search(try ArchiveQuery.parse("-queue:ABC -id:xyz"), scope: .everything).total == 1)
        #expect(throws: ArchiveError.self) { try ArchiveQuery.parse("on:2026-02-31") }
    }
}

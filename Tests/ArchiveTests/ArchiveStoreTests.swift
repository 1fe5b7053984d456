import Archive
import Foundation
import Testing
import TestSupport

@Suite struct ArchiveStoreTests {
    @Test func storesByteIdenticalWithEnvelopeInDatedFolder() async throws {
        let fixture = try ArchiveFixture()
        defer { fixture.remove() }
        let bytes = try Corpus.bytes("p03")
        let message = try await fixture.save(bytes, envelope: ArchiveFixture.envelope())
        // 1_780_000_000 is 2026-05-29 05:26 in Tokyo.
        #expect(message.path.hasPrefix(".2026.05.29/new/"))
        #expect(message.path.hasSuffix(",S=\(bytes.count)"))
        let file = fixture.root.appendingPathComponent(message.path)
        #expect(try [UInt8](Data(contentsOf: file)) == bytes)
        #expect(try fixture.store.bytes(of: message) == bytes)
        #expect(message.envelope.sender == "tanaka@example.co.jp")
        #expect(message.envelope.recipients == ["suzuki@example.net"])
        #expect(message.envelope.queueID == "4Q1abc")
        #expect(FileManager.default.fileExists(atPath: fixture.root.appendingPathComponent(".2026.05.29/maildirfolder").path))
        // Nothing is left in tmp/.
        #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.root.appendingPathComponent(".2026.05.29/tmp").path).isEmpty)
    }

    @Test func hardLinksOneFilePerAddressFolder() async throws {
        let fixture = try ArchiveFixture(folderPattern: ".%D.%M")
        defer { fixture.remove() }
        let bytes = try Corpus.bytes("p01")
        let copy = try await fixture.write(bytes, envelope: ArchiveFixture.envelope(recipients: ["a@example.net", "b.c@example.org"]), savedFor: ["a@example.net", "b.c@example.org"])
        #expect(copy.envelope.folders == [".example,net.a@example,net", ".example,org.b,c@example,org"])
        var inodes = Set<UInt64>()
        for path in copy.paths {
            let attributes = try FileManager.default.attributesOfItem(atPath: fixture.root.appendingPathComponent(path).path)
            inodes.insert((attributes[.systemFileNumber] as? UInt64) ?? 0)
        }
        #expect(copy.paths.count == 2 && inodes.count == 1)
    }

    @Test func compressedCopiesAreGzipAndReadBack() async throws {
        let fixture = try ArchiveFixture(compress: true)
        defer { fixture.remove() }
        let bytes = try Corpus.bytes("p10")
        let message = try await fixture.save(bytes, envelope: ArchiveFixture.envelope())
        let raw = try [UInt8](Data(contentsOf: fixture.root.appendingPathComponent(message.path)))
        #expect(raw.prefix(2) == [0x1F, 0x8B])
        #expect(raw.count < bytes.count)
        #expect(message.path.hasSuffix(",S=\(bytes.count)"))
        #expect(try fixture.store.bytes(of: message) == bytes)
        // gunzip agrees.
        let result = try await Tool.run("/bin/sh", ["-c", "gzip -dc '\(fixture.root.appendingPathComponent(message.path).path)' | sha256sum"])
        #expect(result.output.hasPrefix(message.sha256))
    }

    @Test func aTruncatedOrDamagedGzipFileIsReportedNotReadShort() async throws {
        let fixture = try ArchiveFixture(compress: true)
        defer { fixture.remove() }
        let bytes = (0..<3000).flatMap { Array("line \($0) of a long message with some text\r\n".utf8) }
        let message = try await fixture.save(Array("Subject: big\r\n\r\n".utf8) + bytes, envelope: ArchiveFixture.envelope())
        let url = fixture.root.appendingPathComponent(message.path)
        let stored = try Data(contentsOf: url)
        try stored.prefix(stored.count / 2).write(to: url)
        #expect(throws: ArchiveError.self) { try fixture.store.bytes(of: message) }
        var damaged = [UInt8](stored)
        damaged[damaged.count / 2] ^= 0xFF
        try Data(damaged).write(to: url)
        #expect(throws: ArchiveError.self) { try fixture.store.bytes(of: message) }
    }

    @Test func aFileMovedToCurByAnIMAPServerIsStillFound() async throws {
        let fixture = try ArchiveFixture()
        defer { fixture.remove() }
        let message = try await fixture.save(try Corpus.bytes("p01"), envelope: ArchiveFixture.envelope())
        let old = fixture.root.appendingPathComponent(message.path)
        let moved = old.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("cur/\(old.lastPathComponent):2,S")
        try FileManager.default.moveItem(at: old, to: moved)
        #expect(try fixture.store.bytes(of: message) == (try Corpus.bytes("p01")))
    }

    @Test func tamperingIsDetected() async throws {
        let fixture = try ArchiveFixture()
        defer { fixture.remove() }
        let message = try await fixture.save(try Corpus.bytes("p01"), envelope: ArchiveFixture.envelope())
        let url = fixture.root.appendingPathComponent(message.path)
        var bytes = try [UInt8](Data(contentsOf: url))
        bytes[bytes.count - 3] ^= 0x20
        try Data(bytes).write(to: url)
        #expect(throws: ArchiveError.self) { try fixture.store.bytes(of: message) }
    }

    @Test func catchUpIndexesCopiesWrittenButNotIndexed() async throws {
        let fixture = try ArchiveFixture()
        defer { fixture.remove() }
        for id in ["p01", "p02", "p03"] { _ = try await fixture.write(try Corpus.bytes(id), envelope: ArchiveFixture.envelope()) }
        #expect(try fixture.store.index.count() == 0)
        #expect(try fixture.store.catchUp() == 3)
        #expect(try fixture.store.catchUp() == 0)
        #expect(try fixture.store.index.count() == 3)
        // A rebuild from disk gives the same catalogue, envelopes included.
        #expect(try fixture.store.rebuildIndex() == 3)
        let hits = try fixture.store.index.search(try ArchiveQuery.parse("予算会議"), scope: .everything)
        #expect(hits.total == 1 && hits.hits.first?.message.envelope.queueID == "4Q1abc")
    }

    @Test func rebuildTakesFilesWithoutSidecarsFromTheirHeaders() throws {
        let fixture = try ArchiveFixture()
        defer { fixture.remove() }
        let folder = fixture.root.appendingPathComponent(".2025.01.01/cur")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data(try Corpus.bytes("p01")).write(to: folder.appendingPathComponent("1735689600.M1P1.other:2,S"))
        #expect(try fixture.store.rebuildIndex() == 1)
        let result = try fixture.store.index.search(try ArchiveQuery.parse("from:john.smith@example.com"), scope: .everything)
        #expect(result.total == 1)
        #expect(result.hits.first?.message.envelope.folders == [".2025.01.01"])
        #expect(try fixture.store.bytes(of: result.hits[0].message) == (try Corpus.bytes("p01")))
    }

    @Test func folderPatternsAreValidated() {
        #expect(throws: ArchiveError.self) { try MaildirFolderPattern("2026") }
        #expect(throws: ArchiveError.self) { try MaildirFolderPattern(".a/b") }
        #expect(throws: ArchiveError.self) { try MaildirFolderPattern(".%q") }
        #expect(throws: ArchiveError.self) { try MaildirFolderPattern(".x%") }
        let pattern = try? MaildirFolderPattern(".%M")
        #expect(pattern?.folder(date: Date(), address: "山田@example.jp", timeZone: .current) == ".UNKNOWN")
        #expect(pattern?.folder(date: Date(), address: "../x@y", timeZone: .current) == ".,,_x@y")
    }
}

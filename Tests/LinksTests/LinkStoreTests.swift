import Crypto
import Foundation
import GRDB
import Logging
import ServiceLifecycle
import TestSupport
import Testing

@testable import Links

/// The store without HTTP: what lands on disk and in the database, listing, revocation, the
/// janitor.
@Suite("Link store")
struct LinkStoreTests {
    @Test("blobs are content-addressed, encrypted and private; the link's URLs are baseURL + /l/ and /r/")
    func blobsOnDisk() async throws {
        let rig = try await LinkRig.make()
        defer { rig.remove() }
        let plain = Array(String(repeating: "社外秘 confidential ", count: 5_000).utf8)
        let link = try await rig.create([("a.txt", plain), ("empty.bin", [])])
        #expect(link.url == "https://files.example.co.jp/l/" + link.token)
        #expect(link.revokeURL == "https://files.example.co.jp/r/" + link.revokeToken)
        #expect(link.files.map(\.size) == [Int64(plain.count), 0])
        #expect(link.files[0].sha256 == sha256Hex(plain))
        let names = rig.blobNames()
        #expect(names.count == 2)
        for name in names {
            let stored = try Data(contentsOf: URL(fileURLWithPath: rig.blobPath(name)))
            #expect(sha256Hex(stored) == name)
            #expect(!String(decoding: stored, as: UTF8.self).contains("confidential"))
            let mode = try FileManager.default.attributesOfItem(atPath: rig.blobPath(name))[.posixPermissions] as? Int
            #expect(mode == 0o600)
        }
        let directoryMode =
            try FileManager.default.attributesOfItem(atPath: rig.settings.directory)[.posixPermissions] as? Int
        #expect(directoryMode == 0o700)
        let databaseMode =
            try FileManager.default.attributesOfItem(atPath: rig.store.databasePath)[.posixPermissions] as? Int
        #expect(databaseMode == 0o600)
    }

    @Test("the database holds no token, revoke token or password; without the token the key does not unwrap")
    func noSecretsInDatabase() async throws {
        let rig = try await LinkRig.make()
        defer { rig.remove() }
        let link = try await rig.create([("a.txt", Array("hello".utf8))], password: "Himitsu-Pass-77")
        let queue = try DatabaseQueue(path: rig.store.databasePath)
        let record = try #require(
            try await queue.read {
                db -> (token: String, revoke: String, password: String, wrapped: Data, salt: Data)? in
                guard let row = try Row.fetchOne(db, sql: "SELECT * FROM link WHERE id = ?", arguments: [link.id])
                else { return nil }
                return (
                    row["token_digest"], row["revoke_digest"], row["password_hash"], row["wrapped_key"], row["key_salt"]
                )
            })
        try queue.close()
        #expect(record.token == sha256Hex(Array(link.token.utf8)))
        #expect(record.revoke == sha256Hex(Array(link.revokeToken.utf8)))
        #expect(record.password.hasPrefix("pbkdf2-sha256$210000$"))
        // Every byte the database wrote (main file and WAL) is free of the secrets.
        var files = Data()
        for suffix in ["", "-wal", "-shm"] {
            files += (try? Data(contentsOf: URL(fileURLWithPath: rig.store.databasePath + suffix))) ?? Data()
        }
        for secret in [link.token, link.revokeToken, "Himitsu-Pass-77"] {
            #expect(files.range(of: Data(secret.utf8)) == nil, "a secret is in the database files")
        }
        let wrapped = record.wrapped
        let salt = record.salt
        #expect(throws: LinkError.self) {
            try LinkSecrets.unwrap(Array(wrapped), token: link.revokeToken, salt: Array(salt))
        }
        _ = try LinkSecrets.unwrap(Array(wrapped), token: link.token, salt: Array(salt))
    }

    @Test("after a revocation the wrapped key is gone from every database file")
    func keyShredded() async throws {
        let rig = try await LinkRig.make()
        defer { rig.remove() }
        let link = try await rig.create([("a.txt", [1, 2, 3])])
        _ = try await rig.create([("b.txt", [4])])
        let wrapped = try #require(
            try await rig.store.database.read { db in
                try Data.fetchOne(db, sql: "SELECT wrapped_key FROM link WHERE id = ?", arguments: [link.id])
            })
        func databaseBytes() -> Data {
            ["", "-wal"].reduce(into: Data()) {
                $0 += (try? Data(contentsOf: URL(fileURLWithPath: rig.store.databasePath + $1))) ?? Data()
            }
        }
        _ = try await rig.store.database.writeWithoutTransaction { db in try db.checkpoint(.truncate) }
        #expect(databaseBytes().range(of: wrapped) != nil)
        #expect(try await rig.store.revoke(id: link.id))
        #expect(databaseBytes().range(of: wrapped) == nil)
    }

    @Test("list shows states and no secrets; revoke by id, download token or revoke token deletes the blobs")
    func listAndRevoke() async throws {
        let rig = try await LinkRig.make { $0.maximumDownloads = 3 }
        defer { rig.remove() }
        let first = try await rig.create([("1.txt", [1])])
        let second = try await rig.create([("2.txt", [2])], expiresIn: 60)
        let third = try await rig.create([("3.txt", [3])], maximumDownloads: 1)
        let fourth = try await rig.create([("4.txt", [4])])
        var listed = try await rig.store.list(includeExpired: false)
        #expect(listed.map(\.id) == [first.id, second.id, third.id, fourth.id])
        #expect(listed[0].maximumDownloads == 3 && listed[2].maximumDownloads == 1)
        #expect(listed[0].recipients == ["suzuki@example.com"] && listed[0].queueID == "4ABC123")
        #expect(!"\(listed)".contains(first.token))

        #expect(try await rig.store.revoke(id: first.id))
        #expect(try await !rig.store.revoke(id: first.id))
        #expect(try await rig.store.revoke(token: third.revokeToken))
        #expect(try await rig.store.revoke(token: fourth.token))
        #expect(try await !rig.store.revoke(token: "not-a-token"))
        rig.clock.advance(by: 120)
        listed = try await rig.store.list(includeExpired: false)
        #expect(listed.isEmpty)
        listed = try await rig.store.list(includeExpired: true)
        #expect(listed.map(\.state) == [.revoked, .expired, .revoked, .revoked])
        #expect(listed[0].purged != nil && listed[1].purged == nil)
        // Revoking deleted three blobs at once; the expired link's blob waits for the janitor.
        #expect(rig.blobNames().count == 1)
    }

    @Test("create refuses bad input and leaves nothing behind when a file cannot be read")
    func createFailures() async throws {
        let rig = try await LinkRig.make()
        defer { rig.remove() }
        let now = rig.clock.now
        func attempt(_ link: NewLink) async -> LinkError? {
            do {
                _ = try await rig.store.create(link)
                return nil
            } catch {
                return error as? LinkError
            }
        }
        let file = (name: "a", contentType: "text/plain", content: NewLink.content(bytes: [1]))
        #expect(
            await attempt(NewLink(files: [], expires: now + 60, sender: "s", recipients: [], subject: ""))?.code
                == .invalidLink)
        #expect(
            await attempt(NewLink(files: [file], expires: now - 1, sender: "s", recipients: [], subject: ""))?.code
                == .invalidLink)
        #expect(
            await attempt(
                NewLink(files: [file], expires: now + 60, password: "", sender: "s", recipients: [], subject: ""))?.code
                == .invalidLink)
        #expect(
            await attempt(
                NewLink(files: [file], expires: now + 60, maximumDownloads: 0, sender: "s", recipients: [], subject: "")
            )?.code == .invalidLink)
        let failing = (
            name: "b", contentType: "text/plain",
            content: { (sink: (UnsafeRawBufferPointer) throws -> Void) throws in
                try [UInt8](repeating: 7, count: 200_000).withUnsafeBytes { try sink($0) }
                throw LinkError.storage("the attachment vanished")
            } as NewLink.Content
        )
        #expect(
            await attempt(
                NewLink(files: [file, failing], expires: now + 60, sender: "s", recipients: [], subject: ""))?.code
                == .storage)
        #expect(rig.blobNames().isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: rig.settings.directory + "/blobs/tmp").isEmpty)
        #expect(try await rig.store.list(includeExpired: true).isEmpty)
    }

    @Test("names and content types are cleaned")
    func cleaning() async throws {
        #expect(LinkStore.cleanName("a\u{0}b\r\nc.txt") == "abc.txt")
        #expect(LinkStore.cleanName(" \u{7} ") == "attachment")
        #expect(LinkStore.cleanContentType("application/pdf") == "application/pdf")
        #expect(LinkStore.cleanContentType("text/plain; charset=utf-8") == "text/plain; charset=utf-8")
        #expect(LinkStore.cleanContentType("text/html\r\nX-Evil: 1") == "application/octet-stream")
        #expect(LinkStore.cleanContentType("nonsense") == "application/octet-stream")
    }

    @Test("the janitor service deletes expired blobs at start and every interval, and stops on graceful shutdown")
    func janitor() async throws {
        let rig = try await LinkRig.make()
        defer { rig.remove() }
        let expiring = try await rig.create([("old.txt", randomBytes(10_000))], expiresIn: 30)
        let staying = try await rig.create([("new.txt", randomBytes(10_000))], expiresIn: 3_600)
        #expect(rig.blobNames().count == 2)
        rig.clock.advance(by: 31)
        let janitor = LinkJanitor(store: rig.store, interval: .milliseconds(100), logger: rig.logs.logger(level: .info))
        let group = ServiceGroup(
            services: [janitor], logger: Logger(label: "janitor-test") { _ in SwiftLogNoOpLogHandler() })
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let deadline = Date().addingTimeInterval(10)
            while rig.blobNames().count != 1 && Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
            await group.triggerGracefulShutdown()
            try await tasks.next()
        }
        #expect(rig.blobNames().count == 1)
        let listed = try await rig.store.list(includeExpired: true)
        #expect(listed.first { $0.id == expiring.id }?.purged != nil)
        #expect(listed.first { $0.id == expiring.id }?.state == .expired)
        #expect(listed.first { $0.id == staying.id }?.state == .active)
        #expect(!rig.logs.records(containing: "deleted the files").isEmpty)
        // The survivor is the staying link's blob, and it still decrypts.
        let stayingRow = try await rig.store.database.read { db in
            try String.fetchOne(db, sql: "SELECT blob FROM link_file WHERE link_id = ?", arguments: [staying.id])
        }
        #expect(rig.blobNames() == [try #require(stayingRow)])
    }

    @Test("deleteExpired removes hour-old orphan blobs and temporary files, not fresh ones")
    func orphans() async throws {
        let rig = try await LinkRig.make()
        defer { rig.remove() }
        _ = try await rig.create([("kept.txt", [1, 2, 3])])
        let root = rig.settings.directory + "/blobs"
        let orphan = String(repeating: "ab", count: 32)
        let fresh = String(repeating: "cd", count: 32)
        for name in [orphan, fresh] {
            try FileManager.default.createDirectory(
                atPath: root + "/" + name.prefix(2), withIntermediateDirectories: true)
            try Data([1]).write(to: URL(fileURLWithPath: rig.blobPath(name)))
        }
        try Data([1]).write(to: URL(fileURLWithPath: root + "/tmp/stale.tmp"))
        let old = Date().addingTimeInterval(-7_200)
        try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: rig.blobPath(orphan))
        try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: root + "/tmp/stale.tmp")
        #expect(try await rig.store.deleteExpired(now: Date()) == 0)
        let names = rig.blobNames()
        #expect(names.count == 2 && names.contains(fresh) && !names.contains(orphan))
        #expect(!FileManager.default.fileExists(atPath: root + "/tmp/stale.tmp"))
    }
}

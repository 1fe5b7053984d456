import Archive
import Foundation
import GRDB
import Synchronization
import Testing

/// A clock the tests move by hand.
final class TestClock: Sendable {
    private let seconds = Mutex(1_790_000_000.0)
    var now: Date { Date(timeIntervalSince1970: seconds.withLock { $0 }) }
    func advance(_ interval: TimeInterval) { seconds.withLock { $0 += interval } }
}

@Suite struct ArchiveAccountsTests {
    @Test func createVerifyDisableAndPassword() async throws {
        let archive = try ArchiveFixture()
        let accounts = try ArchiveAccounts(database: archive.database)
        try await accounts.create(name: "root", password: "correct horse", role: .admin)
        let auditor = try await accounts.create(name: "tanaka", password: "パスワード", role: .auditor, domains: ["@Example.CO.JP", "example.com"])
        #expect(auditor.domains == ["example.co.jp", "example.com"])
        #expect(auditor.scope == ArchiveScope(domains: ["example.co.jp", "example.com"]))

        #expect(try await accounts.verify(name: "root", password: "correct horse")?.scope == .everything)
        #expect(try await accounts.verify(name: "root", password: "wrong") == nil)
        #expect(try await accounts.verify(name: "nobody", password: "correct horse") == nil)
        #expect(try await accounts.verify(name: "tanaka", password: "パスワード")?.role == .auditor)

        try await accounts.setPassword("tanaka", to: "新しい")
        #expect(try await accounts.verify(name: "tanaka", password: "パスワード") == nil)
        #expect(try await accounts.verify(name: "tanaka", password: "新しい") != nil)
        try await accounts.setDisabled("tanaka")
        #expect(try await accounts.verify(name: "tanaka", password: "新しい") == nil)
        #expect(try await accounts.list().map(\.name) == ["root", "tanaka"])
        #expect(try await accounts.list().last?.disabled == true)
    }

    @Test func refusesBadInput() async throws {
        let accounts = try ArchiveAccounts(database: try ArchiveFixture().database)
        await #expect(throws: ArchiveAccountError(.emptyPassword, "a")) { try await accounts.create(name: "a", password: "", role: .admin) }
        await #expect(throws: ArchiveAccountError(.invalidName, "a b")) { try await accounts.create(name: "a b", password: "x", role: .admin) }
        await #expect(throws: ArchiveAccountError(.auditorWithoutDomains, "a")) { try await accounts.create(name: "a", password: "x", role: .auditor) }
        await #expect(throws: ArchiveAccountError(.invalidDomain, "exa mple.jp")) {
            try await accounts.create(name: "a", password: "x", role: .auditor, domains: ["exa mple.jp"])
        }
        try await accounts.create(name: "a", password: "x", role: .admin)
        await #expect(throws: ArchiveAccountError(.exists, "a")) { try await accounts.create(name: "a", password: "y", role: .admin) }
        await #expect(throws: ArchiveAccountError(.unknown, "b")) { try await accounts.setPassword("b", to: "y") }
    }

    @Test func unknownUserTakesAsLongAsAWrongPassword() async throws {
        let accounts = try ArchiveAccounts(database: try ArchiveFixture().database)
        try await accounts.create(name: "root", password: "secret", role: .admin)
        let clock = ContinuousClock()
        var wrong = Duration.zero
        var unknown = Duration.zero
        for _ in 0..<3 {
            wrong += try await clock.measure { _ = try await accounts.verify(name: "root", password: "nope") }
            unknown += try await clock.measure { _ = try await accounts.verify(name: "ghost", password: "nope") }
        }
        // Both run PBKDF2 (tens of milliseconds); an early return would take microseconds.
        #expect(unknown > wrong / 3)
        #expect(unknown > .milliseconds(15))
    }

    @Test func sessionsStoreOnlyADigestExpireAndEnd() async throws {
        let archive = try ArchiveFixture()
        let clock = TestClock()
        let accounts = try ArchiveAccounts(database: archive.database)
        let account = try await accounts.create(name: "root", password: "secret", role: .admin)
        let sessions = ArchiveSessions(database: archive.database, lifetime: 3600, now: { clock.now })
        let (token, session) = try await sessions.start(for: account, client: "127.0.0.1")
        #expect(token.utf8.count == 43)
        #expect(session.csrfToken.utf8.count == 43 && session.csrfToken != token)
        let stored = try await archive.database.pool.read { db in try String.fetchAll(db, sql: "SELECT token_digest FROM session") }
        #expect(stored.count == 1 && stored[0] != token && stored[0].count == 64)

        #expect(try await sessions.session(token: token)?.account.name == "root")
        #expect(try await sessions.session(token: String(token.dropLast()) + (token.hasSuffix("A") ? "B" : "A")) == nil)
        #expect(try await sessions.session(token: "short") == nil)
        #expect(session.acceptsCSRF(session.csrfToken))
        #expect(!session.acceptsCSRF(nil) && !session.acceptsCSRF("") && !session.acceptsCSRF(token))

        clock.advance(3601)
        #expect(try await sessions.session(token: token) == nil)

        let (second, _) = try await sessions.start(for: account, client: nil)
        #expect(try await sessions.session(token: second) != nil)
        try await sessions.end(token: second)
        #expect(try await sessions.session(token: second) == nil)

        let (third, _) = try await sessions.start(for: account, client: nil)
        try await accounts.setDisabled("root")
        #expect(try await sessions.session(token: third) == nil)
    }

    @Test func throttleCountsFailuresPerNameAndClientInTheWindow() async throws {
        let archive = try ArchiveFixture()
        let clock = TestClock()
        let audit = ArchiveAudit(database: archive.database, now: { clock.now })
        let throttle = LoginThrottle(perAccount: 5, perClient: 8, window: 900)
        for _ in 0..<4 { try await audit.record(account: "root", action: .loginFailed, client: "10.0.0.1") }
        #expect(try await !throttle.isBlocked(account: "root", client: "10.0.0.1", audit: audit))
        try await audit.record(account: "root", action: .loginFailed, client: "10.0.0.1")
        #expect(try await throttle.isBlocked(account: "root", client: "10.0.0.1", audit: audit))
        #expect(try await !throttle.isBlocked(account: "root", client: "10.0.0.2", audit: audit))
        #expect(try await !throttle.isBlocked(account: "other", client: "10.0.0.1", audit: audit))
        for name in ["a", "b", "c"] { try await audit.record(account: name, action: .loginFailed, client: "10.0.0.1") }
        #expect(try await throttle.isBlocked(account: "other", client: "10.0.0.1", audit: audit))
        clock.advance(901)
        #expect(try await !throttle.isBlocked(account: "root", client: "10.0.0.1", audit: audit))
    }

    @Test func auditListsNewestFirst() async throws {
        let audit = ArchiveAudit(database: try ArchiveFixture().database)
        try await audit.record(account: "root", action: .login, client: "127.0.0.1")
        try await audit.record(account: "root", action: .search, detail: "請求書 has:attachment", client: "127.0.0.1")
        try await audit.record(account: "tanaka", action: .view, detail: "message 7", client: nil)
        let entries = try await audit.list()
        #expect(entries.map(\.action) == [.view, .search, .login])
        #expect(entries[1].detail == "請求書 has:attachment")
        #expect(try await audit.list(account: "root").count == 2)
        #expect(try await audit.count() == 3)
    }
}

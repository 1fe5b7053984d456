import Foundation
import GRDB
import Synchronization
import Testing

@testable import Links

/// The download server over real HTTP on loopback, driven by curl.
@Suite("Download server")
struct DownloadServerTests {
    @Test("a 5 MB file and a Japanese-named file download byte for byte, with the right headers and audit rows")
    func downloads() async throws {
        let rig = try await LinkRig.make()
        defer { rig.remove() }
        let big = randomBytes(5_000_000)
        let small = Array("品番,数量\nA-1,3\n".utf8)
        let link = try await rig.create(
            [("data.bin", big), ("見積書 2026.xlsx", small)],
            contentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        try await rig.withServer { base async throws in
            let page = try await Curl.get(base + "/l/" + link.token)
            #expect(page.status == 200)
            #expect(page.headers["content-type"] == "text/html; charset=utf-8")
            #expect(
                page.headers["content-security-policy"]?.hasPrefix(
                    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'") == true)
            #expect(page.headers["x-content-type-options"] == "nosniff")
            #expect(page.headers["referrer-policy"] == "no-referrer")
            #expect(page.headers["cache-control"] == "no-store")
            #expect(page.text.contains("見積書 2026.xlsx") && page.text.contains("data.bin"))
            #expect(page.text.contains(String(link.files[0].sha256.prefix(16))))

            let first = try await Curl.get(base + "/l/" + link.token + "/0")
            #expect(first.status == 200 && first.exitStatus == 0)
            #expect(first.body.count == 5_000_000)
            #expect(sha256Hex(first.body) == sha256Hex(big))
            #expect(first.headers["content-length"] == "5000000")
            #expect(
                first.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
            #expect(first.headers["cache-control"] == "no-store")

            let second = try await Curl.get(base + "/l/" + link.token + "/1")
            #expect(second.status == 200 && second.body == small)
            #expect(
                second.headers["content-disposition"]
                    == "attachment; filename=\"___ 2026.xlsx\"; filename*=UTF-8''%E8%A6%8B%E7%A9%8D%E6%9B%B8%202026.xlsx"
            )
            #expect(try await Curl.get(base + "/l/" + link.token + "/2").status == 404)
            #expect(try await Curl.get(base + "/l/" + link.token + "/x").status == 404)
            let health = try await Curl.get(base + "/healthz")
            #expect(health.status == 200 && health.text == "ok")
        }
        let audit = try await rig.waitForAudit(link.id, outcome: .ok)
        #expect(audit.map(\.outcome) == [.viewed, .ok, .ok, .notFound, .notFound])
        #expect(
            audit[1].bytes == 5_000_000 && audit[1].fileIndex == 0 && audit[2].bytes == Int64(small.count)
                && audit[2].fileIndex == 1)
        #expect(audit.allSatisfy { $0.clientAddress == "127.0.0.1" && $0.userAgent?.hasPrefix("curl/") == true })
        let listed = try await rig.store.list(includeExpired: false)
        #expect(listed[0].files.map(\.downloads) == [1, 1] && listed[0].firstDownload != nil)
        rig.expectNoSecretsLogged([link.token, link.revokeToken])
    }

    @Test("unknown tokens get 404 pages and not-found audit rows without a link")
    func unknown() async throws {
        let rig = try await LinkRig.make()
        defer { rig.remove() }
        var generator = SystemRandomNumberGenerator()
        let bogus = LinkSecrets.makeToken(using: &generator)
        try await rig.withServer { base async throws in
            for path in ["/l/" + bogus, "/l/short", "/l/" + bogus + "/0", "/r/" + bogus] {
                let response = try await Curl.get(base + path + "?lang=en")
                #expect(response.status == 404, "\(path)")
                #expect(response.text.contains("Link not found"), "\(path)")
            }
            #expect(try await Curl.get(base + "/elsewhere").status == 404)
        }
        let rows = try await rig.store.database.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM link_audit WHERE link_id IS NULL AND outcome = 'not-found'")
        }
        #expect(rows == 4)
    }

    @Test("an expired link answers 410 on the page and the download")
    func expired() async throws {
        let rig = try await LinkRig.make()
        defer { rig.remove() }
        let link = try await rig.create([("a.txt", [1, 2, 3])], expiresIn: 60)
        try await rig.withServer { base async throws in
            #expect(try await Curl.get(base + "/l/" + link.token + "/0").status == 200)
            rig.clock.advance(by: 61)
            let page = try await Curl.get(base + "/l/" + link.token + "?lang=ja")
            #expect(page.status == 410 && page.text.contains("有効期限が切れています"))
            let download = try await Curl.get(base + "/l/" + link.token + "/0?lang=en")
            #expect(download.status == 410 && download.text.contains("This link has expired"))
            #expect(
                download.headers["content-type"] == "text/html; charset=utf-8"
                    && download.headers["content-disposition"] == nil)
        }
        let audit = try await rig.store.audit(linkID: link.id)
        #expect(audit.map(\.outcome) == [.ok, .expired, .expired])
    }

    @Test("the per-file cap: the third download of a file capped at 2 gets 410; the page shows what is left")
    func cap() async throws {
        let rig = try await LinkRig.make()
        defer { rig.remove() }
        let link = try await rig.create([("a.txt", [1]), ("b.txt", [2])], maximumDownloads: 2)
        try await rig.withServer { base async throws in
            #expect(try await Curl.get(base + "/l/" + link.token + "/0").status == 200)
            #expect(try await Curl.get(base + "/l/" + link.token + "/0").status == 200)
            let page = try await Curl.get(base + "/l/" + link.token + "?lang=en")
            #expect(page.text.contains("limit reached"))
            let third = try await Curl.get(base + "/l/" + link.token + "/0?lang=en")
            #expect(third.status == 410 && third.text.contains("Download limit reached"))
            #expect(try await Curl.get(base + "/l/" + link.token + "/1").status == 200)
            #expect(try await Curl.get(base + "/l/" + link.token + "/1").status == 200)
            #expect(try await Curl.get(base + "/l/" + link.token).status == 410)
        }
        let audit = try await rig.store.audit(linkID: link.id)
        #expect(audit.map(\.outcome) == [.ok, .ok, .viewed, .overCap, .ok, .ok, .overCap])
        #expect(try await rig.store.list(includeExpired: true)[0].state == .exhausted)
    }

    @Test("ten downloads at once of a file capped at 3: exactly three succeed and one first-download notice goes out")
    func parallelCap() async throws {
        let rig = try await LinkRig.make()
        defer { rig.remove() }
        let content = randomBytes(300_000)
        let link = try await rig.create([("a.bin", content)], maximumDownloads: 3, notify: true)
        let calls = Mutex(0)
        let statuses = try await rig.withServer(onFirstDownload: { _ in calls.withLock { $0 += 1 } }) {
            base async throws in
            try await Curl.parallel(Array(repeating: [base + "/l/" + link.token + "/0"], count: 10))
        }
        #expect(statuses.sorted() == [200, 200, 200] + Array(repeating: 410, count: 7))
        let audit = try await rig.waitForAudit(link.id) { $0.filter { $0.outcome == .ok }.count == 3 }
        #expect(audit.filter { $0.outcome == .ok }.count == 3 && audit.filter { $0.outcome == .overCap }.count == 7)
        #expect(calls.withLock { $0 } == 1)
    }

    @Test("an interrupted download is audited as aborted and does not use up the cap")
    func aborted() async throws {
        let rig = try await LinkRig.make()
        defer { rig.remove() }
        let link = try await rig.create([("big.bin", randomBytes(8_000_000))], maximumDownloads: 1)
        try await rig.withServer { base async throws in
            let cut = try await Curl.get(
                base + "/l/" + link.token + "/0", extra: ["--limit-rate", "200K", "--max-time", "1"])
            #expect(cut.exitStatus == 28)
            let audit = try await rig.waitForAudit(link.id, outcome: .aborted)
            #expect(audit.last?.outcome == .aborted)
            #expect((audit.last?.bytes ?? 0) < 8_000_000)
            let full = try await Curl.get(base + "/l/" + link.token + "/0")
            #expect(full.status == 200 && full.body.count == 8_000_000)
            #expect(try await Curl.get(base + "/l/" + link.token + "/0").status == 410)
        }
    }

    @Test("revoked through the API: page and download answer 410")
    func revokedByAPI() async throws {
        let rig = try await LinkRig.make()
        defer { rig.remove() }
        let link = try await rig.create([("a.txt", [1])])
        let other = try await rig.create([("b.txt", [2])])
        try await rig.withServer { base async throws in
            #expect(try await rig.store.revoke(id: link.id))
            #expect(try await rig.store.revoke(token: other.token))
            for target in [link, other] {
                let page = try await Curl.get(base + "/l/" + target.token + "?lang=en")
                #expect(page.status == 410 && page.text.contains("This link has been revoked"))
                #expect(try await Curl.get(base + "/l/" + target.token + "/0").status == 410)
            }
        }
        #expect(try await rig.store.audit(linkID: link.id).map(\.outcome) == [.revoked, .revoked])
        #expect(rig.blobNames().isEmpty)
    }

    @Test(
        "revoked through the revoke URL: a confirmation page, then a POST revokes; the download token cannot revoke there"
    )
    func revokedByURL() async throws {
        let rig = try await LinkRig.make()
        defer { rig.remove() }
        let link = try await rig.create([("a.txt", [1])], subject: "御見積 <b>&</b>")
        try await rig.withServer { base async throws in
            let confirm = try await Curl.get(base + "/r/" + link.revokeToken + "?lang=ja")
            #expect(confirm.status == 200)
            #expect(confirm.text.contains("御見積 &lt;b&gt;&amp;&lt;/b&gt;") && confirm.text.contains("method=\"post\""))
            #expect(try await Curl.get(base + "/l/" + link.token + "/0").status == 200)
            #expect(try await Curl.post(base + "/r/" + link.token).status == 404)
            let revoked = try await Curl.post(base + "/r/" + link.revokeToken + "?lang=en")
            #expect(revoked.status == 200 && revoked.text.contains("The link has been revoked"))
            #expect(try await Curl.get(base + "/l/" + link.token + "/0").status == 410)
            #expect(try await Curl.get(base + "/l/" + link.token).status == 410)
            let again = try await Curl.post(base + "/r/" + link.revokeToken + "?lang=en")
            #expect(again.status == 200 && again.text.contains("already revoked"))
        }
        let audit = try await rig.store.audit(linkID: link.id)
        #expect(audit.map(\.outcome) == [.ok, .revokedByURL, .revoked, .revoked, .revokedByURL])
        #expect(rig.blobNames().isEmpty)
        rig.expectNoSecretsLogged([link.token, link.revokeToken])
    }

    @Test("the first-download callback fires once per link, also across a restart")
    func firstDownload() async throws {
        let rig = try await LinkRig.make()
        defer { rig.remove() }
        let notified = try await rig.create([("a.txt", [1]), ("b.txt", [2])], notify: true)
        let quiet = try await rig.create([("c.txt", [3])], notify: false)
        let calls = Mutex<[FirstDownload]>([])
        let record: @Sendable (FirstDownload) async -> Void = { event in calls.withLock { $0.append(event) } }
        try await rig.withServer(onFirstDownload: record) { base async throws in
            #expect(try await Curl.get(base + "/l/" + notified.token).status == 200)
            #expect(calls.withLock { $0.count } == 0)
            #expect(try await Curl.get(base + "/l/" + notified.token + "/1").status == 200)
            _ = try await rig.waitForAudit(notified.id, outcome: .ok)
            #expect(try await Curl.get(base + "/l/" + notified.token + "/0").status == 200)
            #expect(try await Curl.get(base + "/l/" + notified.token + "/1").status == 200)
            #expect(try await Curl.get(base + "/l/" + quiet.token + "/0").status == 200)
        }
        let restarted = try await rig.reopened()
        let afterRestart = try await restarted.withServer(onFirstDownload: record) { base async throws in
            try await Curl.get(base + "/l/" + notified.token + "/0").status
        }
        #expect(afterRestart == 200)
        let audit = try await rig.waitForAudit(notified.id) { $0.filter { $0.outcome == .ok }.count == 4 }
        #expect(audit.filter { $0.outcome == .ok }.count == 4)
        let events = calls.withLock { $0 }
        #expect(events.count == 1)
        let event = try #require(events.first)
        #expect(event.linkID == notified.id && event.sender == "tanaka@example.co.jp" && event.subject == "見積書の送付")
        #expect(
            event.messageID == "<m1@example.co.jp>" && event.fileName == "b.txt" && event.clientAddress == "127.0.0.1")
    }

    @Test("a tampered blob is never served: 500 when the damage is at the start, a cut connection when it is later")
    func tampering() async throws {
        let rig = try await LinkRig.make()
        defer { rig.remove() }
        let small = Array("short and sweet".utf8)
        let big = randomBytes(3_000_000)
        let smallLink = try await rig.create([("small.txt", small)])
        let bigLink = try await rig.create([("big.bin", big)])
        func flip(_ linkID: Int64, at offset: (Int) -> Int) async throws {
            let name = try #require(
                try await rig.store.database.read { db in
                    try String.fetchOne(db, sql: "SELECT blob FROM link_file WHERE link_id = ?", arguments: [linkID])
                })
            var bytes = try Data(contentsOf: URL(fileURLWithPath: rig.blobPath(name)))
            bytes[offset(bytes.count)] ^= 0x20
            try bytes.write(to: URL(fileURLWithPath: rig.blobPath(name)))
        }
        try await flip(smallLink.id) { $0 - 3 }
        try await flip(bigLink.id) { $0 - 100_000 }
        try await rig.withServer { base async throws in
            let refused = try await Curl.get(base + "/l/" + smallLink.token + "/0?lang=en")
            #expect(refused.status == 500 && refused.text.contains("The file cannot be sent"))
            #expect(!refused.text.contains("short and"))
            let cut = try await Curl.get(base + "/l/" + bigLink.token + "/0")
            #expect(cut.status == 200)
            #expect(cut.exitStatus == 18, "curl: \(cut.error)")
            #expect(cut.body.count < big.count - 65_536)
            #expect(cut.body == Array(big.prefix(cut.body.count)), "only authentic bytes were sent")
        }
        #expect(try await rig.store.audit(linkID: smallLink.id).map(\.outcome) == [.corrupt])
        let audit = try await rig.waitForAudit(bigLink.id, outcome: .corrupt)
        #expect(audit.map(\.outcome) == [.corrupt])
        #expect(
            try await rig.store.list(includeExpired: false).allSatisfy { $0.files.allSatisfy { $0.downloads == 0 } })
    }

    @Test("the page lists the files in Japanese and English with every name escaped")
    func pages() async throws {
        let rig = try await LinkRig.make()
        defer { rig.remove() }
        let link = try await rig.create(
            [("<script>alert(1)</script>.txt", [1, 2, 3]), ("見積書 2026.xlsx", randomBytes(2_048))], maximumDownloads: 3,
            subject: "Re: <img src=x onerror=alert(2)> ご確認")
        try await rig.withServer { base async throws in
            let japanese = try await Curl.get(base + "/l/" + link.token + "?lang=ja", headers: ["Accept-Language: en"])
            let english = try await Curl.get(
                base + "/l/" + link.token, headers: ["Accept-Language: en-US,en;q=0.9,ja;q=0.5"])
            let fallback = try await Curl.get(base + "/l/" + link.token)
            for (page, words) in [
                (japanese, ["ファイルのダウンロード", "有効期限", "ダウンロード"]),
                (english, ["Download files", "Available until", "Downloads left"]), (fallback, ["ファイルのダウンロード"]),
            ] {
                #expect(page.status == 200)
                for word in words { #expect(page.text.contains(word), "\(word)") }
                #expect(page.text.contains("&lt;script&gt;alert(1)&lt;/script&gt;.txt"))
                #expect(page.text.contains("見積書 2026.xlsx"))
                #expect(page.text.contains("Re: &lt;img src=x onerror=alert(2)&gt; ご確認"))
                #expect(!page.text.contains("<script") && !page.text.contains("<img"))
                #expect(page.text.contains("2.0 KB") && page.text.contains("(UTC+09:00)"))
                #expect(page.text.contains("href=\"\(link.token)/1?lang="))
            }
            #expect(japanese.text.contains("<html lang=\"ja\">") && english.text.contains("<html lang=\"en\">"))
        }
    }
}

import Archive
import ArchiveWeb
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import TestSupport
import Testing

/// The web UI through HummingbirdTesting: sign-in, CSRF, scopes, headers, downloads.
@Suite struct ArchiveWebTests {
    /// A signed-in browser: its cookie and the CSRF token of its pages.
    struct Browser {
        var cookie: String
        var csrf: String
    }

    static func signIn(_ client: some TestClientProtocol, _ name: String, _ password: String) async throws -> Browser {
        let body = "name=\(name)&password=\(password.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)"
        let response = try await client.execute(
            uri: "/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"], body: ByteBuffer(string: body))
        #expect(response.status == .seeOther)
        let setCookie = try #require(response.headers[.setCookie])
        #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict") && setCookie.contains("Path=/"))
        let cookie = String(setCookie.prefix { $0 != ";" })
        let page = try await client.execute(uri: "/search", method: .get, headers: [.cookie: cookie])
        let html = String(buffer: page.body)
        let csrf = try #require(html.firstRange(of: #/name="csrf" value="([^"]+)"/#).map { String(html[$0].split(separator: "\"")[3]) })
        return Browser(cookie: cookie, csrf: csrf)
    }

    static func get(_ client: some TestClientProtocol, _ uri: String, _ browser: Browser) async throws -> TestResponse {
        try await client.execute(uri: uri, method: .get, headers: [.cookie: browser.cookie])
    }

    static func post(_ client: some TestClientProtocol, _ uri: String, _ browser: Browser, _ form: String) async throws -> TestResponse {
        try await client.execute(
            uri: uri, method: .post, headers: [.cookie: browser.cookie, .contentType: "application/x-www-form-urlencoded"], body: ByteBuffer(string: form))
    }

    @Test func signInIsRequiredAndPagesCarryTheSecurityHeaders() async throws {
        let rig = try await ArchiveWebRig.make()
        defer { rig.fixture.remove() }
        let app = Application(router: try await rig.router())
        try await app.test(.router) { client in
            let anonymous = try await client.execute(uri: "/search?q=x", method: .get)
            #expect(anonymous.status == .seeOther && anonymous.headers[.location] == "/login")
            #expect(try await client.execute(uri: "/message/\(rig.hostile.id)", method: .get).status == .seeOther)
            #expect(try await client.execute(uri: "/message/\(rig.hostile.id)/eml", method: .get).status == .seeOther)
            #expect(try await client.execute(uri: "/admin", method: .get, headers: [.cookie: "sekisho-archive=forged"]).status == .seeOther)

            let login = try await client.execute(uri: "/login?lang=en", method: .get)
            #expect(login.status == .ok)
            let csp = try #require(login.headers[.contentSecurityPolicy])
            #expect(csp.contains("default-src 'none'") && !csp.contains("script-src") && csp.contains("frame-ancestors 'none'"))
            #expect(login.headers[.xContentTypeOptions] == "nosniff")
            #expect(login.headers[HTTPField.Name("Referrer-Policy")!] == "no-referrer")
            #expect(login.headers[.cacheControl] == "no-store")
            #expect(login.headers[HTTPField.Name("X-Frame-Options")!] == "DENY")
            #expect(String(buffer: login.body).contains("Sign in"))
            #expect(!String(buffer: login.body).lowercased().contains("<script"))
        }
    }

    @Test func wrongPasswordsAreRefusedAuditedAndThrottled() async throws {
        let rig = try await ArchiveWebRig.make()
        defer { rig.fixture.remove() }
        let app = Application(router: try await rig.router())
        try await app.test(.router) { client in
            for _ in 0..<5 {
                let response = try await client.execute(
                    uri: "/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"], body: ByteBuffer(string: "name=root&password=wrong"))
                #expect(response.status == .unauthorized && response.headers[.setCookie] == nil)
            }
            let throttled = try await client.execute(
                uri: "/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "name=root&password=\(ArchiveWebRig.adminPassword.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)"))
            #expect(throttled.status == .tooManyRequests && throttled.headers[.setCookie] == nil)
            // Another name from the same client still works.
            _ = try await Self.signIn(client, "tanaka", ArchiveWebRig.auditorPassword)
        }
        let actions = try await rig.audit.list().map(\.action)
        #expect(actions.filter { $0 == .loginFailed }.count == 5)
        #expect(actions.contains(.loginThrottled) && actions.contains(.login))
    }

    @Test func postsWithoutTheCSRFTokenAreRefused() async throws {
        let rig = try await ArchiveWebRig.make()
        defer { rig.fixture.remove() }
        let app = Application(router: try await rig.router())
        try await app.test(.router) { client in
            let admin = try await Self.signIn(client, "root", ArchiveWebRig.adminPassword)
            let id = rig.messages["p11"]!.id
            #expect(try await Self.post(client, "/message/\(id)/hold", admin, "reason=x").status == .forbidden)
            #expect(try await Self.post(client, "/message/\(id)/hold", admin, "reason=x&csrf=\(admin.csrf.dropLast())\(admin.csrf.hasSuffix("A") ? "B" : "A")").status == .forbidden)
            #expect(try await Self.post(client, "/export", admin, "query=&format=mbox").status == .forbidden)
            #expect(try await Self.post(client, "/logout", admin, "").status == .forbidden)
            let crossSite = try await client.execute(
                uri: "/message/\(id)/hold", method: .post,
                headers: [.cookie: admin.cookie, .contentType: "application/x-www-form-urlencoded", .origin: "https://evil.example"],
                body: ByteBuffer(string: "reason=x&csrf=\(admin.csrf)"))
            #expect(crossSite.status == .forbidden)
            #expect(try await Self.post(client, "/message/\(id)/hold", admin, "reason=audit&csrf=\(admin.csrf)").status == .seeOther)
            #expect(try await rig.fixture.store.index.message(id: id, scope: .everything)?.held == true)
            let logout = try await Self.post(client, "/logout", admin, "csrf=\(admin.csrf)")
            #expect(logout.status == .seeOther && logout.headers[.setCookie]?.contains("Max-Age=0") == true)
            #expect(try await Self.get(client, "/search", admin).status == .seeOther)
        }
    }

    @Test func auditorsSeeOnlyTheirDomains() async throws {
        let rig = try await ArchiveWebRig.make()
        defer { rig.fixture.remove() }
        let app = Application(router: try await rig.router())
        let outside = rig.messages["p31"]!
        try await app.test(.router) { client in
            let auditor = try await Self.signIn(client, "tanaka", ArchiveWebRig.auditorPassword)
            var subjects = ""
            for page in 1...4 { subjects += String(buffer: try await Self.get(client, "/search?q=&order=newest&page=\(page)", auditor).body) }
            #expect(subjects.contains("3月分ご請求書の送付"))
            #expect(!subjects.contains(outside.subject) && !subjects.contains("打ち合わせ議事メモ"))
            let search = String(buffer: try await Self.get(client, "/search?q=%E6%96%B0%E3%82%B5%E3%83%BC%E3%83%93%E3%82%B9", auditor).body)
            #expect(search.contains("<strong>0</strong>"))

            #expect(try await Self.get(client, "/message/\(outside.id)", auditor).status == .notFound)
            #expect(try await Self.get(client, "/message/\(outside.id)/eml", auditor).status == .notFound)
            #expect(try await Self.get(client, "/message/\(outside.id)/attachment/2", auditor).status == .notFound)
            #expect(try await Self.get(client, "/message/999999", auditor).status == .notFound)
            #expect(try await Self.get(client, "/admin", auditor).status == .forbidden)
            #expect(try await Self.get(client, "/message/\(rig.messages["p11"]!.id)", auditor).status == .ok)

            let export = try await Self.post(client, "/export", auditor, "query=&format=mbox&csrf=\(auditor.csrf)")
            #expect(export.status == .ok)
            let mbox = String(decoding: export.body.readableBytesView, as: UTF8.self)
            #expect(mbox.contains("Message-ID") && !mbox.contains("hanako.sato@example.jp>\r\nTo: ichiro"))
            #expect(!mbox.contains(outside.messageID ?? "?"))
        }
        let audit = try await rig.audit.list(account: "tanaka")
        #expect(audit.filter { $0.action == .denied }.count == 4)
        #expect(audit.contains { $0.action == .search } && audit.contains { $0.action == .view } && audit.contains { $0.action == .export })
    }

    @Test func downloadsCarryTheExactJapaneseNameAndNeverRenderInline() async throws {
        let rig = try await ArchiveWebRig.make()
        defer { rig.fixture.remove() }
        let app = Application(router: try await rig.router())
        let message = rig.messages["p11"]!
        try await app.test(.router) { client in
            let admin = try await Self.signIn(client, "root", ArchiveWebRig.adminPassword)
            let page = String(buffer: try await Self.get(client, "/message/\(message.id)", admin).body)
            #expect(page.contains("請求書_2024年3月分.pdf") && page.contains("資料を添付いたします"))
            let download = try await Self.get(client, "/message/\(message.id)/attachment/0", admin)
            #expect(download.status == .ok)
            #expect(download.headers[.contentType] == "application/octet-stream")
            #expect(download.headers[.xContentTypeOptions] == "nosniff")
            let expectedName = "請求書_2024年3月分.pdf".addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "._-")))!
            #expect(download.headers[.contentDisposition]?.hasPrefix("attachment;") == true)
            #expect(download.headers[.contentDisposition]?.contains("filename*=UTF-8''\(expectedName)") == true)
            let digest = SHA256.hash(data: Array(download.body.readableBytesView)).map { String(format: "%02x", $0) }.joined()
            #expect(digest == "12f6a5bd3b7402cd04d4b5b4218c796a7c9cec2529d7621616062896a36b6138")
            let eml = try await Self.get(client, "/message/\(message.id)/eml", admin)
            #expect(Array(eml.body.readableBytesView) == (try Corpus.bytes("p11")))
            #expect(eml.headers[.contentType] == "application/octet-stream")
        }
        let actions = try await rig.audit.list(account: "root").map(\.action)
        #expect(actions.contains(.downloadAttachment) && actions.contains(.downloadEML) && actions.contains(.view))
    }

    @Test func hostileHTMLIsShownSanitizedInASandboxedFrame() async throws {
        let rig = try await ArchiveWebRig.make(beaconPort: 4321)
        defer { rig.fixture.remove() }
        let app = Application(router: try await rig.router())
        try await app.test(.router) { client in
            let admin = try await Self.signIn(client, "root", ArchiveWebRig.adminPassword)
            let page = String(buffer: try await Self.get(client, "/message/\(rig.hostile.id)?lang=en", admin).body)
            #expect(page.contains("<iframe class=\"html\" id=\"html-view\" sandbox=\"\""))
            #expect(!page.contains("allow-scripts") && !page.contains("allow-same-origin"))
            #expect(!page.contains("127.0.0.1:4321"))
            #expect(!page.lowercased().contains("<script") && !page.contains("onload=") && !page.contains("onerror="))
            #expect(page.contains("怪しいメール"))
            #expect(page.contains("remote images or resources were blocked"))
        }
    }

    @Test func searchShowsHighlightsTotalsPagesAndHoldsForAdmins() async throws {
        let rig = try await ArchiveWebRig.make()
        defer { rig.fixture.remove() }
        let app = Application(router: try await rig.router())
        try await app.test(.router) { client in
            let admin = try await Self.signIn(client, "root", ArchiveWebRig.adminPassword)
            let all = String(buffer: try await Self.get(client, "/search?q=&order=oldest", admin).body)
            #expect(all.contains("<strong>7</strong>"))
            #expect(all.contains("page=2"))
            let word = "添付いたします".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let found = String(buffer: try await Self.get(client, "/search?q=\(word)&attachment=1", admin).body)
            #expect(found.contains("<mark>添付いたします</mark>"), "\(found)")
            let plus = String(buffer: try await Self.get(client, "/search?q=\(word)+has%3Aattachment+-%E5%A3%B2%E4%B8%8A", admin).body)
            #expect(!plus.contains("<strong>0</strong>") && plus.contains("3月分ご請求書の送付") && !plus.contains("売上集計と請求書"), "form-encoded spaces: \(plus)")
            let bad = try await Self.get(client, "/search?q=%22unclosed", admin)
            #expect(bad.status == .ok)
            let hold = try await Self.post(client, "/holds", admin, "query=\(word)&reason=litigation&csrf=\(admin.csrf)")
            #expect(hold.status == .seeOther)
            let adminPage = String(buffer: try await Self.get(client, "/admin", admin).body)
            #expect(adminPage.contains("litigation") && adminPage.contains("search") && adminPage.contains("tanaka"))
            let holdID = try #require(try rig.fixture.store.index.holds().first?.id)
            #expect(try await Self.post(client, "/holds/\(holdID)/release", admin, "csrf=\(admin.csrf)").status == .seeOther)
            #expect(try rig.fixture.store.index.holds().first?.isActive == false)
        }
    }
}

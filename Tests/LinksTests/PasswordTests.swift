import Foundation
import Testing

@testable import Links

/// Password-protected links over HTTP: 403 for a missing or wrong password, 429 after the
/// limit per link and per client (the right password included), 200 after the window.
@Suite("Password-protected links")
struct PasswordTests {
    static let password = "見積-Pass+2026 &x"

    @Test("wrong passwords get 403, then 429 even for the right one; after the window the right one downloads")
    func perLink() async throws {
        let rig = try await LinkRig.make()
        defer { rig.remove() }
        let content = randomBytes(100_000)
        let link = try await rig.create([("plan.pdf", content)], password: Self.password)
        try await rig.withServer { base async throws in
            let url = base + "/l/" + link.token + "/0"
            let page = try await Curl.get(base + "/l/" + link.token + "?lang=en")
            #expect(
                page.status == 200 && page.text.contains("type=\"password\"")
                    && page.text.contains("formaction=\"\(link.token)/0?lang=en\""))
            let bare = try await Curl.get(url + "?lang=en")
            #expect(bare.status == 403 && bare.text.contains("A password is required"))
            #expect(try await Curl.post(url).status == 403)
            for attempt in 1...5 {
                let wrong = try await Curl.post(url + "?lang=ja", form: ["password": "guess-\(attempt)"])
                #expect(wrong.status == 403 && wrong.text.contains("パスワードが違います"), "attempt \(attempt)")
            }
            let limited = try await Curl.post(url + "?lang=en", form: ["password": "guess-6"])
            #expect(limited.status == 429 && limited.text.contains("Too many attempts"))
            let rightButLimited = try await Curl.post(url, form: ["password": Self.password])
            #expect(rightButLimited.status == 429 && rightButLimited.body.count < 5_000)
            rig.clock.advance(by: 901)
            let right = try await Curl.post(url, form: ["password": Self.password])
            #expect(right.status == 200 && right.body == content)
        }
        let audit = try await rig.waitForAudit(link.id, outcome: .ok)
        #expect(
            audit.map(\.outcome)
                == [.viewed, .passwordRequired, .passwordRequired] + Array(repeating: .badPassword, count: 5) + [
                    .rateLimited, .rateLimited, .ok,
                ])
        rig.expectNoSecretsLogged([link.token, link.revokeToken, Self.password])
    }

    @Test("the limits count per link across client addresses and per client across links (X-Forwarded-For trusted)")
    func perLinkAndPerClient() async throws {
        let rig = try await LinkRig.make {
            $0.trustForwardedFor = true; $0.passwordAttemptsPerWindow = 3
        }
        defer { rig.remove() }
        let target = try await rig.create([("a.txt", [1])], password: Self.password)
        let other = try await rig.create([("b.txt", [2])], password: Self.password)
        let third = try await rig.create([("c.txt", [3])], password: Self.password)
        try await rig.withServer { base async throws in
            func post(_ link: CreatedLink, _ password: String, from address: String) async throws -> Int {
                try await Curl.post(
                    base + "/l/" + link.token + "/0", form: ["password": password],
                    headers: ["X-Forwarded-For: 203.0.113.250, \(address)"]
                ).status
            }
            // Three wrong passwords for one link from three addresses lock that link for everyone.
            for index in 1...3 { #expect(try await post(target, "wrong", from: "192.0.2.\(index)") == 403) }
            #expect(try await post(target, Self.password, from: "192.0.2.99") == 429)
            #expect(try await post(other, Self.password, from: "192.0.2.1") == 200)
            // Three wrong passwords from one address, spread over links, lock that address.
            #expect(try await post(other, "wrong", from: "198.51.100.7") == 403)
            #expect(try await post(third, "wrong", from: "198.51.100.7") == 403)
            #expect(try await post(other, "wrong", from: "198.51.100.7") == 403)
            #expect(try await post(third, Self.password, from: "198.51.100.7") == 429)
            #expect(try await post(third, Self.password, from: "198.51.100.8") == 200)
        }
        let audit = try await rig.store.audit(linkID: target.id)
        #expect(audit.map(\.clientAddress) == ["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.99"])
    }

    @Test("twenty wrong passwords at once: exactly the limit are checked, the rest get 429")
    func parallelGuesses() async throws {
        let rig = try await LinkRig.make()
        defer { rig.remove() }
        let link = try await rig.create([("a.txt", [1])], password: Self.password)
        let statuses = try await rig.withServer { base async throws in
            try await Curl.parallel(
                (0..<20).map { ["--data-urlencode", "password=guess-\($0)", base + "/l/" + link.token + "/0"] })
        }
        #expect(statuses.count == 20)
        #expect(statuses.filter { $0 == 403 }.count == 5)
        #expect(statuses.filter { $0 == 429 }.count == 15)
        let audit = try await rig.store.audit(linkID: link.id)
        #expect(audit.filter { $0.outcome == .badPassword }.count == 5)
        #expect(audit.filter { $0.outcome == .rateLimited }.count == 15)
    }
}

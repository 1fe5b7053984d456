import Archive
import ArchiveWeb
import Foundation
import Hummingbird
import Links
import Logging
import ServiceLifecycle
import TestSupport

/// An archive with an admin (`root`), an auditor for example.co.jp (`tanaka`), a few corpus
/// messages and a hostile HTML mail, for the web UI tests.
struct ArchiveWebRig {
    static let adminPassword = "admin-パスワード"
    static let auditorPassword = "auditor-pass"

    let fixture: ArchiveFixture
    let settings: ArchiveWebSettings
    /// Corpus id → stored message.
    let messages: [String: ArchivedMessage]
    let hostile: ArchivedMessage

    /// - Parameter beaconPort: where the hostile mail's script and remote image point.
    static func make(beaconPort: Int = 9, listen: String = "127.0.0.1:0") async throws -> ArchiveWebRig {
        let fixture = try ArchiveFixture()
        let accounts = try ArchiveAccounts(database: fixture.database)
        try await accounts.create(name: "root", password: adminPassword, role: .admin)
        try await accounts.create(name: "tanaka", password: auditorPassword, role: .auditor, domains: ["example.co.jp"])
        var messages = [String: ArchivedMessage]()
        for id in ["p03", "p06", "p11", "p16", "p20", "p31"] {
            let entry = Corpus.entry(id)
            let from = (entry["from"] as? [[String: Any]])?.first?["address"] as? String ?? ""
            let to = (entry["to"] as? [[String: Any]] ?? []).compactMap { $0["address"] as? String }
            messages[id] = try await fixture.save(try Corpus.bytes(id), envelope: ArchiveFixture.envelope(sender: from, recipients: to))
        }
        let hostile = try await fixture.save(
            Array(hostileMail(beaconPort: beaconPort).utf8),
            envelope: ArchiveFixture.envelope(sender: "attacker@evil.example", recipients: ["taro.yamada@example.co.jp"]))
        let settings = ArchiveWebSettings(listen: listen, pageSize: 3, defaultLanguage: .ja, timeZone: TimeZone(identifier: "Asia/Tokyo")!)
        return ArchiveWebRig(fixture: fixture, settings: settings, messages: messages, hostile: hostile)
    }

    static func hostileMail(beaconPort: Int) -> String {
        let beacon = "http://127.0.0.1:\(beaconPort)"
        return """
            From: Attacker <attacker@evil.example>\r
            To: taro.yamada@example.co.jp\r
            Subject: =?UTF-8?B?5LiN5a+p44GqSFRNTA==?= hostile html\r
            Date: Mon, 02 Nov 2026 10:00:00 +0900\r
            Message-ID: <hostile@evil.example>\r
            MIME-Version: 1.0\r
            Content-Type: text/html; charset=UTF-8\r
            \r
            <html><head><script>new Image().src="\(beacon)/script";document.title="SCRIPT-RAN"</script>\r
            <link rel="stylesheet" href="\(beacon)/css"><style>body{background:url(\(beacon)/bg)}</style></head>\r
            <body onload="document.title='ONLOAD-RAN'"><h1>怪しいメール</h1><p>本文の確認をお願いします。</p>\r
            <img src="\(beacon)/x" alt="beacon"><img src=x onerror="document.title='ONERROR-RAN'">\r
            <svg onload="fetch('\(beacon)/svg')"></svg><iframe src="\(beacon)/frame"></iframe>\r
            <a href="jav&#x09;ascript:fetch('\(beacon)/js')">click</a></body></html>\r

            """
    }

    func router() async throws -> Router<ArchiveRequestContext> {
        try await ArchiveWebServer.router(store: fixture.store, settings: settings, logger: Logger(label: "archive-web-test"))
    }

    var audit: ArchiveAudit { ArchiveAudit(database: fixture.database) }

    /// Runs the real server (HTTP on 127.0.0.1) around `body`, which gets its base URL.
    func withServer<T: Sendable>(_ body: (String) async throws -> T) async throws -> T {
        try await withListeningService({ onListening in
            ArchiveWebServer(store: fixture.store, settings: settings, logger: Logger(label: "archive-web-test"), onListening: onListening)
        }) { port in
            try await body("http://127.0.0.1:\(port)")
        }
    }
}

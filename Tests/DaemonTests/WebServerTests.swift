import Daemon
import Foundation
import Logging
import Milter
import NIOCore
import NIOPosix
import ServiceLifecycle
import TestSupport
import Testing

/// `/healthz` and `/metrics` on the web listener, with the gateway's counters after real traffic.
@Suite("Web listener")
struct WebServerTests {
    /// A minimal HTTP GET over a raw socket (HTTP/1.1, Connection: close).
    func get(_ port: Int, _ path: String) async throws -> (status: Int, body: String) {
        let text = try await RawTCP.exchange(port: port, send: "GET \(path) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        let status = Int(text.split(separator: " ").dropFirst().first ?? "") ?? 0
        let body = text.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n")
        return (status, body)
    }

    @Test("healthz answers ok; metrics count messages by verdict and time the filters")
    func metrics() async throws {
        let logs = LogCapture()
        let state = "/tmp/sekisho-web-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: state) }
        var configuration = try ConfigurationLoader.parse("rules:\n  - name: mark\n    actions:\n      - header: {name: X-Mark, value: yes}\n")
        configuration.milterListeners = [.inet(host: "127.0.0.1", port: 0)]
        configuration.webListen = "127.0.0.1:0"
        configuration.stateDirectory = state
        let (milters, milterReady) = AsyncStream<MilterSocketAddress>.makeStream()
        let (webs, webReady) = AsyncStream<Int>.makeStream()
        let services = try await Gateway.buildServices(configuration: configuration, logger: logs.logger(level: .info), onListening: { milterReady.yield($0) }, onWebListening: { webReady.yield($0) })
        let group = ServiceGroup(services: services, logger: logs.logger(level: .warning))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var milterIterator = milters.makeAsyncIterator()
            var webIterator = webs.makeAsyncIterator()
            let milter = try #require(await milterIterator.next())
            let web = try #require(await webIterator.next())
            try await MilterClient.withSession(to: milter) { session in
                _ = try await session.connect(hostname: "h", address: .inet(address: "192.0.2.1", port: 1))
                for _ in 0..<3 {
                    let result = try await session.send(MilterTransaction(message: Array("Subject: x\r\n\r\nbody\r\n".utf8), sender: EnvelopeAddress(raw: "<a@b.example>"), recipients: [EnvelopeAddress(raw: "<c@d.example>")]))
                    #expect(result.decision == .continue)
                }
            }
            let health = try await get(web, "/healthz")
            #expect(health.status == 200 && health.body == "ok\n")
            let metrics = try await get(web, "/metrics")
            #expect(metrics.status == 200)
            #expect(metrics.body.contains("sekisho_messages_total{verdict=\"continue\"} 3"), "\(metrics.body)")
            #expect(metrics.body.contains("sekisho_filter_duration_seconds_count{filter=\"header\"} 3"), "\(metrics.body)")
            #expect(metrics.body.contains("sekisho_milter_sessions_opened_total"))
            #expect(metrics.body.contains("sekisho_milter_connections_open"))
            #expect(try await get(web, "/nope").status == 404)
            await group.triggerGracefulShutdown()
            try await tasks.next()
        }
    }
}

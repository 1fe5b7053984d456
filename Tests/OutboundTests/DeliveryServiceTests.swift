import Foundation
import GRDB
import Logging
import Synchronization
import TestSupport
import Testing
@testable import Outbound

/// The delivery service against a scripted server, one batch at a time (``DeliveryService/deliver(_:owner:stop:)``
/// called directly, so nothing depends on timing): how outcomes are recorded when the database or
/// the spool fails, session-level refusals, missing message files, per-attempt reports.
@Suite("Delivery service against a scripted server")
struct DeliveryServiceTests {
    static let owner = "test-runner"

    static func service(
        _ queue: OutboundQueue,
        _ server: ScriptedSMTPServer,
        policy: PermanentFailurePolicy = .bounce,
        logs: LogCapture = LogCapture(),
        metrics: RecordingMetrics = RecordingMetrics()
    ) throws -> DeliveryService {
        var configuration = DeliveryServiceConfiguration(
            client: SMTPClientConfiguration(heloName: "gateway.test", timeouts: SMTPTimeouts(all: .seconds(30))),
            defaultRelay: SMTPRelay(host: "127.0.0.1", port: server.port, tls: SMTPTLSSettings(mode: .none)),
            retry: RetrySchedule(initialDelay: .seconds(60), factor: 2, maximumDelay: .seconds(600), jitter: 0, maximumAge: .seconds(86_400)),
            failurePolicy: policy
        )
        // One batch per call: a connection closes after its batch instead of taking what
        // became due meanwhile (a report, say), which deliverDue counts in the next call.
        configuration.connectionIdleTime = .zero
        return try DeliveryService(queue: queue, configuration: configuration, logger: logs.logger(), metrics: OutboundMetrics(factory: metrics))
    }

    /// Leases what is due and delivers it as one batch; returns how many entries were leased.
    @discardableResult
    static func deliverDue(_ service: DeliveryService, _ queue: OutboundQueue) async throws -> Int {
        let batch = try await queue.leaseBatch(owner: owner, limit: 50, leaseDuration: .seconds(600))
        if !batch.isEmpty { await service.deliver(batch, owner: owner, stop: StopFlag()) }
        return batch.count
    }

    static func enqueue(_ queue: OutboundQueue, _ marker: String, to recipients: [String] = ["ok@example.org"]) async throws -> Int64 {
        try await queue.enqueue(EnqueueRequest(
            sender: address("a@example.com"), recipients: recipients.map(address), message: .bytes(testMessage(marker: marker)),
            origin: "test", originQueueID: marker
        ))
    }

    /// A server that refuses `refused@` for good (with a bare CR in its text) and `later@` for now.
    static func reply(_ event: ScriptedSMTPServer.Event) -> String? {
        if case .command(let line) = event {
            if line == "RCPT TO:<refused@example.org>" { return "550 5.1.1 no such user\rX-Injected: yes" }
            if line == "RCPT TO:<later@example.org>" { return "450 4.2.0 mailbox busy" }
        }
        return standardReply(event)
    }

    /// Waits (polling, up to a minute) until `condition` holds.
    static func wait(_ condition: () async -> Bool) async -> Bool {
        await OutboundPostfix.wait(timeout: .seconds(60), condition)
    }

    @Test("the failure report cannot be spooled (ENOSPC): delivered recipients are saved and not resent, the entry backs off")
    func reportSpoolFails() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let files = FaultyFileSystem()
        let queue = try await OutboundQueue.open(
            databasePath: "\(directory.path)/queue.sqlite",
            spool: SpoolDirectory(path: "\(directory.path)/spool", fileOperations: files.operations),
            clock: .system, inlineLimit: 0
        )
        try await ScriptedSMTPServer.withServer(respond: Self.reply) { server in
            let logs = LogCapture()
            let service = try Self.service(queue, server, logs: logs)
            let id = try await Self.enqueue(queue, "enospc", to: ["ok@example.org", "refused@example.org"])
            files.inject(.writeNoSpace)
            #expect(try await Self.deliverDue(service, queue) == 1)
            #expect(server.messages.count == 1)

            let entry = try #require(try await queue.entry(id))
            #expect(entry.recipients.map(\.state) == [.delivered, .failed], "saved before the report was tried")
            #expect(entry.attempts == 1)
            #expect(entry.leasedUntil == nil)
            #expect(entry.nextAttemptAt > Date().addingTimeInterval(30), "backed off, not due at once")
            #expect(entry.lastError?.contains("No space left on device") == true, "\(entry.lastError ?? "")")
            #expect(try await queue.entries().count == 1, "no report queued")
            #expect(try await Self.deliverDue(service, queue) == 0, "nothing due: no tight loop")
            #expect(!logs.records(containing: "backing off").isEmpty)

            // The disk has room again; the next attempt only queues the report and completes.
            files.clear(.writeNoSpace)
            #expect(try await queue.retry(id))
            #expect(try await Self.deliverDue(service, queue) == 1)
            #expect(server.connections == 1, "nothing to send for the entry itself: no connection")
            #expect(try await queue.entry(id) == nil)
            let report = try #require(try await queue.entries().first)
            #expect(report.isReport && report.recipients.map(\.address) == [address("a@example.com")])
            #expect(try await Self.deliverDue(service, queue) == 1)
            #expect(server.messages.count == 2)
            #expect(server.commands.filter { $0 == "RCPT TO:<ok@example.org>" }.count == 1, "ok@ got the message once")
            #expect(server.messages.last?.contains("<refused@example.org>: rejected in RCPT TO: 550 5.1.1") == true)
        }
    }

    @Test("the database refuses the outcome: it is kept and written again with a pause; the entry is never released unsaved", arguments: [
        // A recipient still to retry, or everyone delivered: either way the delivered states are
        // saved on their own first (the entry is removed only after).
        (["ok@example.org", "later@example.org"], "BEFORE UPDATE ON outbound_recipient"),
        (["ok@example.org"], "BEFORE UPDATE ON outbound_recipient"),
    ])
    func outcomeWriteFails(recipients: [String], trigger: String) async throws {
        try await withTemporaryQueue { queue, _ in
            try await ScriptedSMTPServer.withServer(respond: Self.reply) { server in
                let logs = LogCapture()
                let service = try Self.service(queue, server, logs: logs)
                let id = try await Self.enqueue(queue, "dbfail", to: recipients)
                try await queue.database.write { db in
                    try db.execute(sql: "CREATE TRIGGER injected_failure \(trigger) BEGIN SELECT RAISE(ABORT, 'injected I/O error'); END")
                }
                let batch = try await queue.leaseBatch(owner: Self.owner, limit: 10, leaseDuration: .seconds(600))
                async let delivery: Void = service.deliver(batch, owner: Self.owner, stop: StopFlag())

                #expect(await Self.wait { logs.records(containing: "cannot record delivery outcome").count >= 2 }, "retried")
                #expect(server.messages.count == 1)
                let meanwhile = try #require(try await queue.entry(id))
                #expect(meanwhile.leasedUntil != nil, "still leased: not given back with ok@ unsaved")
                #expect(meanwhile.recipients.allSatisfy { $0.state == .pending })
                #expect(try await queue.leaseBatch(owner: "another-runner", limit: 10, leaseDuration: .seconds(600)).isEmpty)

                try await queue.database.write { db in try db.execute(sql: "DROP TRIGGER injected_failure") }
                await delivery
                if recipients.count == 2 {
                    let entry = try #require(try await queue.entry(id))
                    #expect(entry.recipients.map(\.state) == [.delivered, .deferred])
                    #expect(entry.attempts == 1)
                    #expect(entry.leasedUntil == nil)
                    #expect(entry.nextAttemptAt > Date())
                } else {
                    #expect(try await queue.entry(id) == nil, "complete")
                }
                #expect(server.messages.count == 1)
                #expect(server.commands.filter { $0 == "RCPT TO:<ok@example.org>" }.count == 1)
                let error = try #require(logs.records(containing: "cannot record delivery outcome").first)
                #expect(error.level == .error && error.metadata["outbound.entry"] == "\(id)")
            }
        }
    }

    @Test("a 5xx greeting defers the recipients (a session refusal), no report")
    func greetingRefused() async throws {
        try await withTemporaryQueue { queue, _ in
            try await ScriptedSMTPServer.withServer(greeting: "554 5.3.2 not now", respond: { standardReply($0) }) { server in
                let metrics = RecordingMetrics()
                let service = try Self.service(queue, server, metrics: metrics)
                let id = try await Self.enqueue(queue, "greeting")
                #expect(try await Self.deliverDue(service, queue) == 1)
                let entry = try #require(try await queue.entry(id))
                #expect(entry.recipients.map(\.state) == [.deferred])
                #expect(entry.attempts == 1)
                #expect(entry.lastError?.contains("554 5.3.2 not now") == true)
                #expect(try await queue.entries().count == 1, "no report")
                #expect(metrics.value("sekisho_outbound_failed_total") == nil)
            }
        }
    }

    @Test("RSET refused: that message is given back uncounted and goes first on a new connection; nothing fails")
    func resetRefused() async throws {
        try await withTemporaryQueue { queue, _ in
            try await ScriptedSMTPServer.withServer(respond: { event in
                if case .command("RSET") = event { return "554 5.5.1 no RSET today" }
                return standardReply(event)
            }) { server in
                let metrics = RecordingMetrics()
                let service = try Self.service(queue, server, metrics: metrics)
                let first = try await Self.enqueue(queue, "rset-1")
                let second = try await Self.enqueue(queue, "rset-2")
                #expect(try await Self.deliverDue(service, queue) == 2)
                #expect(try await queue.entry(first) == nil)
                let given = try #require(try await queue.entry(second))
                #expect(given.attempts == 0 && given.leasedUntil == nil && given.recipients.map(\.state) == [.pending])
                #expect(try await Self.deliverDue(service, queue) == 1)
                #expect(try await queue.entries().isEmpty)
                #expect(server.messages.count == 2 && server.connections == 2)
                #expect(metrics.value("sekisho_outbound_failed_total") == nil)
                #expect(metrics.value("sekisho_outbound_deferred_total") == nil)
            }
        }
    }

    @Test("a missing message file: held with an alert, nothing sent or bounced, no connection for it alone")
    func missingFile() async throws {
        try await withTemporaryQueue { queue, directory in
            try await ScriptedSMTPServer.withServer(respond: { standardReply($0) }) { server in
                let logs = LogCapture()
                let service = try Self.service(queue, server, logs: logs)
                let kept = try await Self.enqueue(queue, "kept")
                let lost = try await Self.enqueue(queue, "lost")
                let lostFile = try #require(try await queue.leaseBatch(owner: "peek", limit: 10, leaseDuration: .seconds(1)).last).entry.spoolName
                #expect(try await queue.releaseAllLeases() == 2)
                try FileManager.default.removeItem(atPath: queue.spool.messagePath(lostFile))

                #expect(try await Self.deliverDue(service, queue) == 2)
                #expect(try await queue.entry(kept) == nil)
                #expect(server.messages.count == 1 && server.connections == 1)
                let held = try #require(try await queue.entry(lost))
                #expect(held.recipients.map(\.state) == [.pending], "not failed, not bounced")
                #expect(held.attempts == 1)
                #expect(held.leasedUntil == nil)
                #expect(held.nextAttemptAt > Date().addingTimeInterval(30))
                #expect(held.lastError?.contains("No such file or directory") == true, "\(held.lastError ?? "")")
                #expect(try await queue.entries().count == 1, "no report")
                let alert = try #require(logs.records(containing: "message file missing or unreadable").first)
                #expect(alert.level == .critical && alert.metadata["outbound.alert"] == "spool")

                // Alone in its batch: no connection at all.
                #expect(try await queue.retry(lost))
                #expect(try await Self.deliverDue(service, queue) == 1)
                #expect(server.connections == 1)
                #expect(try #require(try await queue.entry(lost)).attempts == 2)
                _ = directory
            }
        }
    }

    @Test("a permanent failure is reported right after the attempt, once, while other recipients are still retried")
    func reportAfterEachAttempt() async throws {
        try await withTemporaryQueue { queue, _ in
            let laterAccepts = Mutex(false)
            try await ScriptedSMTPServer.withServer(respond: { event in
                if event == .command("RCPT TO:<later@example.org>"), laterAccepts.withLock({ $0 }) { return "250 2.1.5 Ok" }
                return Self.reply(event)
            }) { server in
                let metrics = RecordingMetrics()
                let service = try Self.service(queue, server, metrics: metrics)
                let id = try await Self.enqueue(queue, "partial", to: ["ok@example.org", "refused@example.org", "later@example.org"])
                #expect(try await Self.deliverDue(service, queue) == 1)

                let entry = try #require(try await queue.entry(id))
                #expect(entry.recipients.map(\.state) == [.delivered, .failed, .deferred])
                let reports = try await queue.entries().filter(\.isReport)
                #expect(reports.count == 1, "reported now, not when the entry completes")
                #expect(metrics.value("sekisho_outbound_bounced_total") == 1)
                #expect(!entry.recipients.contains { $0.lastResponse?.unicodeScalars.contains { $0.value < 0x20 } == true })
                #expect(entry.lastError?.contains("no such user?X-Injected: yes") == true, "\(entry.lastError ?? "")")

                laterAccepts.withLock { $0 = true }
                #expect(try await queue.retry(id))
                #expect(try await Self.deliverDue(service, queue) == 2, "the entry and its report")
                #expect(try await queue.entries().isEmpty, "complete, and no second report")
                #expect(metrics.value("sekisho_outbound_bounced_total") == 1)
                let sentReports = server.messages.filter { $0.contains("Undelivered Mail Returned to Sender") }
                #expect(sentReports.count == 1)
                let report = try #require(sentReports.first)
                #expect(report.contains("<refused@example.org>: rejected in RCPT TO: 550 5.1.1 no such user?X-Injected: yes"))
                #expect(!report.components(separatedBy: "\r\n").contains { $0.hasPrefix("X-Injected") })
                #expect(!report.contains("later@example.org>:"), "later@ was delivered in the end")
                #expect(server.commands.filter { $0 == "RCPT TO:<ok@example.org>" }.count == 1)
            }
        }
    }
}

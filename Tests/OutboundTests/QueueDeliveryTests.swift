import Foundation
import Logging
import Outbound
import ServiceLifecycle
import TestSupport
import Testing

/// The queue and its delivery service against a real Postfix.
@Suite("Queue delivery through a real Postfix", .enabled(if: TestEnvironment.canRunPostfix || TestEnvironment.isCI))
struct QueueDeliveryTests {
    static func configuration(
        relay: SMTPRelay?,
        retry: RetrySchedule = RetrySchedule(initialDelay: .milliseconds(500), factor: 2, maximumDelay: .seconds(2), jitter: 0.2, maximumAge: .seconds(600)),
        policy: PermanentFailurePolicy = .bounce,
        concurrency: Int = 5,
        batchSize: Int = 10,
        stopsWhenEmpty: Bool = false
    ) -> DeliveryServiceConfiguration {
        DeliveryServiceConfiguration(
            client: SMTPClientConfiguration(heloName: "gateway.test", timeouts: SMTPTimeouts(all: .seconds(30))),
            defaultRelay: relay, retry: retry, failurePolicy: policy, concurrency: concurrency, batchSize: batchSize,
            pollInterval: .milliseconds(200), stopsWhenEmpty: stopsWhenEmpty
        )
    }

    static func relay(_ rig: PostfixRig) -> SMTPRelay {
        SMTPRelay(host: "127.0.0.1", port: rig.plainPort, tls: SMTPTLSSettings(mode: .none))
    }

    static func enqueue(_ queue: OutboundQueue, count: Int, prefix: String, size: Int = 0) async throws -> [String] {
        var markers: [String] = []
        let filler = String(repeating: "filler line for size\n", count: size / 21)
        for index in 0..<count {
            let marker = "\(prefix)-\(index)-\(UInt32.random(in: 0...UInt32.max))"
            markers.append(marker)
            try await queue.enqueue(EnqueueRequest(
                sender: address("a@example.com"), recipients: [address("b@example.org")],
                message: .bytes(testMessage(marker: marker, body: "message \(index)\n" + filler)), origin: "test", originQueueID: "T\(index)"
            ))
        }
        return markers
    }

    /// Runs the service in a service group while `body` runs, then shuts it down gracefully.
    static func whileRunning<Result>(_ service: DeliveryService, logger: Logger, _ body: () async throws -> Result) async throws -> Result {
        let group = ServiceGroup(configuration: .init(services: [service], logger: logger))
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            do {
                let result = try await body()
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                return result
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
        }
    }

    @Test("partial refusal through the queue: delivered once; the 5xx reported at once, the 4xx retried until the maximum age and reported then; bounces from <>")
    func partialRefusalAndBounce() async throws {
        try await OutboundPostfix.withRig { rig in
            try await withTemporaryQueue { queue, _ in
                let marker = "bounce-\(UInt32.random(in: 0...UInt32.max))"
                let id = try await queue.enqueue(EnqueueRequest(
                    sender: address("a@example.com"),
                    recipients: ["ok@example.org", "refused@example.org", "later@example.org"].map(address),
                    message: .bytes(testMessage(marker: marker, subject: "will partly bounce")),
                    origin: "test", originQueueID: "PARTIAL1"
                ))
                let metrics = RecordingMetrics()
                let logs = LogCapture()
                // Long enough that the first attempt is well inside it even on a loaded machine (the
                // first report must come from that attempt, the second from the age limit): 8 s
                // was too short while the browser and Postfix suites ran beside it.
                let retry = RetrySchedule(initialDelay: .milliseconds(300), factor: 1, maximumDelay: .milliseconds(300), jitter: 0, maximumAge: .seconds(20))
                let service = try DeliveryService(
                    queue: queue, configuration: Self.configuration(relay: Self.relay(rig), retry: retry, stopsWhenEmpty: true),
                    logger: logs.logger(level: .debug), metrics: OutboundMetrics(factory: metrics)
                )
                try await service.run()

                #expect(try await queue.entry(id) == nil)
                #expect(try await queue.statistics().depth == 0)
                #expect(await rig.waitForQueue(timeout: 30))
                let original = OutboundPostfix.deliveredMarkers(rig).filter { $0 == marker }
                #expect(original.count == 3, "the message itself, and the copy of its headers inside each of the two reports")
                let reports = rig.sinkFiles().compactMap { try? String(contentsOfFile: $0, encoding: .utf8) }
                    .filter { $0.contains("Undelivered Mail Returned to Sender") }
                #expect(reports.count == 2, "one right after the first attempt (refused@), one at the maximum age (later@)")
                let refused = try #require(reports.first { $0.contains("<refused@example.org>: rejected in RCPT TO: 554 5.7.1") })
                #expect(!refused.contains("later@example.org>:"), "later@ was still being retried")
                let expired = try #require(reports.first { $0.contains("<later@example.org>: gave up after ") })
                #expect(!expired.contains("<refused@example.org>:"), "refused@ is reported once")
                for report in reports {
                    #expect(report.contains("Content-Type: multipart/report; report-type=delivery-status;"))
                    #expect(!report.contains("ok@example.org>:"), "the delivered recipient is not in a report")
                    #expect(report.contains("X-Test-Marker: \(marker)"), "the original headers")
                    #expect(!report.contains("Hello."), "never the original body")
                }
                #expect(expired.contains("Final-Recipient: rfc822; later@example.org"))
                #expect(rig.log.contains("from=<>"), "the report comes from the null sender")
                #expect(rig.log.components(separatedBy: "to=<ok@example.org>").count - 1 == 1, "ok@ got the message exactly once")

                #expect(metrics.value("sekisho_outbound_delivered_total") == 3, "ok@ and the two reports")
                #expect(metrics.value("sekisho_outbound_failed_total") == 2)
                #expect((metrics.value("sekisho_outbound_deferred_total") ?? 0) >= 1)
                #expect(metrics.value("sekisho_outbound_bounced_total") == 2)
                #expect(metrics.value("sekisho_outbound_queue_depth") == 0)
                #expect(metrics.value("sekisho_outbound_queue_oldest_age_seconds") == 0)
                let attempt = try #require(logs.records(containing: "delivery deferred").first)
                #expect(attempt.metadata["outbound.entry"] == "\(id)")
                #expect(attempt.metadata["mail.queue_id"] == "PARTIAL1")
                #expect(!logs.records.contains { $0.description.contains("Hello.") }, "message content is never logged")
            }
        }
    }

    @Test("receiver stopped mid-queue and started again: every one of 50 messages arrives exactly once")
    func receiverRestart() async throws {
        // `sleep 1` at DATA keeps several transactions open at any moment, so the stop lands mid-delivery.
        try await OutboundPostfix.withRig(settings: ["smtpd_data_restrictions = sleep 1, permit"]) { rig in
            try await withTemporaryQueue { queue, _ in
                let markers = try await Self.enqueue(queue, count: 50, prefix: "restart")
                let metrics = RecordingMetrics()
                let logs = LogCapture()
                let service = try DeliveryService(
                    queue: queue, configuration: Self.configuration(relay: Self.relay(rig)), logger: logs.logger(level: .info),
                    metrics: OutboundMetrics(factory: metrics)
                )
                let (depthAtStop, leasedAtStop) = try await Self.whileRunning(service, logger: logs.logger()) {
                    #expect(await OutboundPostfix.wait(timeout: .seconds(90)) { rig.sinkFiles().count >= 5 })
                    let entries = try await queue.entries()
                    try await rig.stopPostfix()
                    try await Task.sleep(for: .seconds(2))
                    try await rig.startPostfix()
                    #expect(await OutboundPostfix.wait(timeout: .seconds(120)) { (try? await queue.statistics().depth) == 0 })
                    return (entries.count, entries.filter { $0.leasedUntil != nil }.count)
                }
                #expect(await rig.waitForQueue(timeout: 60))
                print("receiver restart: \(depthAtStop) entries queued and \(leasedAtStop) in delivery when Postfix stopped; deferred \(Int(metrics.value("sekisho_outbound_deferred_total") ?? 0)) times")
                #expect(depthAtStop > 0, "Postfix stopped partway")
                #expect(leasedAtStop > 0, "with deliveries in flight")
                #expect((metrics.value("sekisho_outbound_deferred_total") ?? 0) > 0)
                let delivered = OutboundPostfix.deliveredMarkers(rig)
                for marker in markers {
                    #expect(delivered.filter { $0 == marker }.count == 1, "\(marker)")
                }
                #expect(delivered.count == markers.count)
            }
        }
    }

    @Test("graceful shutdown: running batches finish their message and give the rest back; nothing is lost")
    func gracefulShutdown() async throws {
        try await OutboundPostfix.withRig(settings: ["smtpd_data_restrictions = sleep 1, permit"]) { rig in
            try await withTemporaryQueue { queue, _ in
                let markers = try await Self.enqueue(queue, count: 12, prefix: "shutdown")
                let logs = LogCapture()
                let service = try DeliveryService(
                    queue: queue, configuration: Self.configuration(relay: Self.relay(rig), concurrency: 2, batchSize: 6), logger: logs.logger()
                )
                try await Self.whileRunning(service, logger: logs.logger()) {
                    // The first message recorded as delivered (Postfix takes each in ≥ 1 s; its
                    // own delivery to the sink may lag far behind on a loaded machine).
                    #expect(await OutboundPostfix.wait(timeout: .seconds(60)) { ((try? await queue.entries().count) ?? markers.count) < markers.count })
                }
                #expect(await rig.waitForQueue(timeout: 30))
                let remaining = try await queue.entries()
                #expect(remaining.allSatisfy { $0.leasedUntil == nil }, "no lease is left behind")
                #expect(remaining.allSatisfy { $0.attempts == 0 }, "given back, not counted as attempts")
                let delivered = OutboundPostfix.deliveredMarkers(rig)
                #expect(!remaining.isEmpty, "the shutdown came before the end")
                #expect(delivered.count + remaining.count == markers.count, "every message delivered or still queued")
                #expect(Set(delivered).count == delivered.count)
            }
        }
    }
}

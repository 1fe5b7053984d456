import Foundation
import GRDB
import Logging
import TestSupport
import Testing
@testable import Outbound

/// What duplication needs from the queue: entries held until the gateway has answered the MTA
/// (dropped when that gateway died first), the delivery journal that keeps a killed runner from
/// sending again what a server already accepted, and named destinations with their own retry,
/// failure policy, credentials and metrics.
@Suite("Held entries, delivery journal and named destinations")
struct HeldAndDestinationTests {
    static func request(_ marker: String, held: Bool = false, destination: String? = nil, relay: SMTPRelay? = nil) -> EnqueueRequest {
        EnqueueRequest(
            sender: address("a@example.com"), recipients: [address("ok@example.org")], message: .bytes(testMessage(marker: marker)), relay: relay,
            origin: "test", originQueueID: "Q\(marker)", held: held, destination: destination
        )
    }

    @Test("a held entry is never leased until released; then it goes")
    func heldUntilReleased() async throws {
        try await withTemporaryQueue { queue, _ in
            try await ScriptedSMTPServer.withServer(respond: { standardReply($0) }) { server in
                let service = try DeliveryServiceTests.service(queue, server)
                let id = try await queue.enqueue(Self.request("held", held: true))
                #expect(try await queue.entry(id)?.isHeld == true)
                #expect(try await DeliveryServiceTests.deliverDue(service, queue) == 0, "held: not due")
                try await queue.release([id])
                #expect(try await queue.entry(id)?.isHeld == false)
                #expect(try await DeliveryServiceTests.deliverDue(service, queue) == 1)
                #expect(server.messages.count == 1)
                #expect(try await queue.entry(id) == nil)
            }
        }
    }

    @Test("held entries of a gone queue instance: of this boot dropped with their files, of an earlier boot released; this instance's stay")
    func abandonedHoldsDropped() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let database = "\(directory.path)/queue.sqlite"
        let spool = "\(directory.path)/spool"
        let dead = try await OutboundQueue.open(databasePath: database, spoolPath: spool, inlineLimit: 0)
        let abandoned = try await dead.enqueue(Self.request("abandoned", held: true))
        let released = try await dead.enqueue(Self.request("released", held: true))
        try await dead.release([released])
        #expect(try await dead.entry(abandoned)?.isHeld == true)
        // Held by a process of an earlier boot (the machine stopped): a release may have been lost.
        let beforeReboot = try await dead.enqueue(Self.request("before-reboot", held: true))
        try await dead.database.write { db in
            try db.execute(sql: "UPDATE outbound_entry SET held_by = 'an-earlier-boot/x' WHERE id = ?", arguments: [beforeReboot])
        }
        let restarted = try await OutboundQueue.open(databasePath: database, spoolPath: spool, inlineLimit: 0)
        let own = try await restarted.enqueue(Self.request("own", held: true))
        #expect(try await restarted.settleAbandonedHolds() == OutboundQueue.SettledHolds(dropped: 1, released: 1))
        let left = try await restarted.entries()
        #expect(left.map(\.id).sorted() == [released, beforeReboot, own].sorted())
        #expect(left.filter(\.isHeld).map(\.id) == [own])
        let files = try FileManager.default.contentsOfDirectory(atPath: "\(spool)/msg")
        #expect(files.count == 3, "the dropped entry's file is gone: \(files)")
    }

    @Test("a release noted at the answer but never committed is honoured at the next start; an unnoted one is dropped")
    func releaseJournalHonoured() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let database = "\(directory.path)/queue.sqlite"
        let spool = "\(directory.path)/spool"
        let dead = try await OutboundQueue.open(databasePath: database, spoolPath: spool)
        let answered = try await dead.enqueue(Self.request("answered", held: true))
        let unanswered = try await dead.enqueue(Self.request("unanswered", held: true))
        #expect(dead.noteReleased([answered]))
        // Killed here: the MTA has its answer for the first message, none for the second.
        let restarted = try await OutboundQueue.open(databasePath: database, spoolPath: spool)
        #expect(try await restarted.settleAbandonedHolds() == OutboundQueue.SettledHolds(dropped: 1, released: 1))
        let left = try await restarted.entries()
        #expect(left.map(\.id) == [answered] && left.allSatisfy { !$0.isHeld })
        #expect(try await restarted.entry(unanswered) == nil)
        let journals = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.contains(".released-") }
        #expect(journals.isEmpty, "the dead instance's release journal is removed: \(journals)")
    }

    @Test("a small message is kept in its row: no spool file; delivered byte for byte, its header in a report; a large one goes to a file")
    func inlineMessages() async throws {
        try await withTemporaryQueue(inlineLimit: OutboundQueue.defaultInlineLimit) { queue, directory in
            try await ScriptedSMTPServer.withServer(respond: { event in
                if case .command("RCPT TO:<refused@example.org>") = event { return "550 5.1.1 no such user" }
                return standardReply(event)
            }) { server in
                let service = try DeliveryServiceTests.service(queue, server)
                var request = Self.request("small")
                request.recipients = [address("ok@example.org"), address("refused@example.org")]
                let small = try await queue.enqueue(request)
                var large = Self.request("large")
                large.message = .bytes(testMessage(marker: "large", body: String(repeating: "x", count: 70_000) + "\n"))
                let big = try await queue.enqueue(large)
                let files = try FileManager.default.contentsOfDirectory(atPath: "\(directory.path)/spool/msg")
                #expect(files.count == 1, "only the large message has a file: \(files)")
                while try await DeliveryServiceTests.deliverDue(service, queue) > 0 {}
                let smallLeft = try await queue.entry(small)
                let bigLeft = try await queue.entry(big)
                #expect(smallLeft == nil && bigLeft == nil)
                let sent = server.messages.first { $0.contains("X-Test-Marker: small") } ?? ""
                #expect(sent == String(decoding: testMessage(marker: "small"), as: UTF8.self).replacingOccurrences(of: "\n", with: "\r\n"))
                let report = server.messages.first { $0.contains("refused@example.org") && $0.contains("multipart/report") } ?? ""
                #expect(report.contains("X-Test-Marker: small"), "the report quotes the inline message's header")
                #expect(try FileManager.default.contentsOfDirectory(atPath: "\(directory.path)/spool/msg").isEmpty)
            }
        }
    }

    @Test("a delivery noted in the journal but never committed is not sent again after a restart")
    func journalReplayed() async throws {
        try await withTemporaryQueue { queue, directory in
            try await ScriptedSMTPServer.withServer(respond: { standardReply($0) }) { server in
                let id = try await queue.enqueue(Self.request("journal"))
                let recipient = try await queue.database.read { db in try Int64.fetchOne(db, sql: "SELECT id FROM outbound_recipient WHERE entry_id = ?", arguments: [id]) }
                // What a runner killed right after the server's 250 leaves behind.
                try "\(id) \(recipient ?? -1)\n12345 1,2\n\(id) 9".write(toFile: "\(directory.path)/queue.sqlite.delivered", atomically: false, encoding: .utf8)
                var configuration = try DeliveryServiceTests.service(queue, server).configuration
                configuration.stopsWhenEmpty = true
                let logs = LogCapture()
                let service = try DeliveryService(queue: queue, configuration: configuration, logger: logs.logger())
                try await service.run()
                #expect(server.messages.isEmpty, "accepted before the kill: not sent again")
                #expect(try await queue.entries().isEmpty)
                #expect(logs.records(containing: "recovered from the delivery journal").first?.metadata["outbound.recovered"] == "1")
                let journal = try String(contentsOfFile: "\(directory.path)/queue.sqlite.delivered", encoding: .utf8)
                #expect(journal.isEmpty, "emptied after the replay")
            }
        }
    }

    @Test("each delivery is noted in the journal before it is committed")
    func journalWritten() async throws {
        try await withTemporaryQueue { queue, directory in
            try await ScriptedSMTPServer.withServer(respond: { standardReply($0) }) { server in
                let service = try DeliveryServiceTests.service(queue, server)
                try service.journal.open(empty: true)
                let id = try await queue.enqueue(Self.request("noted"))
                #expect(try await DeliveryServiceTests.deliverDue(service, queue) == 1)
                let journal = try String(contentsOfFile: "\(directory.path)/queue.sqlite.delivered", encoding: .utf8)
                #expect(journal.hasPrefix("\(id) "), "\(journal)")
            }
        }
    }

    @Test("a named destination: its own retry and failure policy, its credentials, per-destination metrics")
    func namedDestination() async throws {
        try await withTemporaryQueue { queue, _ in
            let metrics = RecordingMetrics()
            let logs = LogCapture()
            try await ScriptedSMTPServer.withServer(respond: { event in
                if case .command(let line) = event {
                    if line.hasPrefix("EHLO") { return "250-scripted.test\r\n250-AUTH PLAIN\r\n250 8BITMIME" }
                    if line.hasPrefix("AUTH PLAIN ") { return line == "AUTH PLAIN " + Data("\u{0}copy\u{0}s3cret".utf8).base64EncodedString() ? "235 2.7.0 ok" : "535 5.7.8 no" }
                    if line == "RCPT TO:<later@example.org>" { return "451 4.3.0 try later" }
                }
                return standardReply(event)
            }) { server in
                var client = SMTPClientConfiguration(heloName: "gateway.test", timeouts: SMTPTimeouts(all: .seconds(30)), allowsPlaintextAuthentication: true)
                client.namedCredentials["duplicate:internal"] = SMTPCredentials(username: "copy", password: "s3cret")
                var configuration = DeliveryServiceConfiguration(client: client, failurePolicy: .bounce)
                // Long enough that nothing comes due again while the test runs, however slow the machine.
                let fast = RetrySchedule(initialDelay: .seconds(700), factor: 1, maximumDelay: .seconds(700), jitter: 0, maximumAge: .seconds(86_400))
                configuration.destinations["internal"] = DestinationPolicy(retry: fast, failurePolicy: .drop)
                let service = try DeliveryService(queue: queue, configuration: configuration, logger: logs.logger(), metrics: OutboundMetrics(factory: metrics))
                let relay = SMTPRelay(host: "127.0.0.1", port: server.port, tls: SMTPTLSSettings(mode: .none), credentials: "duplicate:internal")
                let unknownCredentials = SMTPRelay(host: "127.0.0.1", port: server.port, tls: SMTPTLSSettings(mode: .none), credentials: "duplicate:gone")
                let delivered = try await queue.enqueue(Self.request("copy", destination: "internal", relay: relay))
                var later = Self.request("later", destination: "internal", relay: relay)
                later.recipients = [address("later@example.org")]
                let deferred = try await queue.enqueue(later)
                let noCredentials = try await queue.enqueue(Self.request("nocred", destination: "internal", relay: unknownCredentials))
                OutboundMetrics(factory: metrics).recordQueued(destination: "internal")
                while try await DeliveryServiceTests.deliverDue(service, queue) > 0 {}
                #expect(try await queue.entry(delivered) == nil)
                #expect(server.commands.contains { $0.hasPrefix("AUTH PLAIN ") })
                let retried = try #require(try await queue.entry(deferred))
                #expect(abs(retried.nextAttemptAt.timeIntervalSinceNow - 700) < 60, "the destination's own schedule: \(retried.nextAttemptAt.timeIntervalSinceNow)")
                let waiting = try #require(try await queue.entry(noCredentials))
                #expect(waiting.recipients.first?.state == .deferred)
                #expect(waiting.lastError?.contains("no credentials named") == true, "\(waiting.lastError ?? "")")
                let key = { (event: String) in RecordingMetrics.key("sekisho_outbound_destination_messages_total", [("destination", "internal"), ("event", event)]) }
                #expect(metrics.value(key("queued")) == 1)
                #expect(metrics.value(key("delivered")) == 1)
                #expect(metrics.value(key("deferred")) == 2)
                #expect(logs.records(containing: "delivery complete").first?.metadata["outbound.destination"] == "internal")
                #expect(logs.records(containing: "delivery complete").first?.metadata["mail.queue_id"] == "Qcopy")
                // Given up after the maximum age: never bounced to the sender (drop), logged as critical.
                var expiring = configuration
                expiring.destinations["internal"]?.retry.maximumAge = .seconds(1)
                let strict = try DeliveryService(queue: queue, configuration: expiring, logger: logs.logger(), metrics: OutboundMetrics(factory: metrics))
                try await Task.sleep(for: .seconds(1.2))
                _ = try await queue.retryAll()
                while try await DeliveryServiceTests.deliverDue(strict, queue) > 0 {}
                #expect(try await queue.entries().filter { $0.isReport }.isEmpty, "a copy is never bounced")
                #expect(logs.records(containing: "permanent failure not reported").contains { $0.level == .critical })
                #expect(metrics.value(key("failed")) == 2)
            }
        }
    }
}

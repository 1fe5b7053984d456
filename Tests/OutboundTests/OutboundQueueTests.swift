import Foundation
import GRDB
import Logging
import TestSupport
import Testing
@testable import Outbound

@Suite("Outbound queue (SQLite, spool)")
struct OutboundQueueTests {
    static let relay = SMTPRelay(host: "127.0.0.1", port: 2525, tls: SMTPTLSSettings(mode: .none))
    static let otherRelay = SMTPRelay(host: "127.0.0.2", port: 2525, tls: SMTPTLSSettings(mode: .none))

    static func request(_ marker: String, to recipients: [String] = ["b@example.org"], relay: SMTPRelay? = relay) -> EnqueueRequest {
        EnqueueRequest(
            sender: address("a@example.com"), recipients: recipients.map(address), message: .bytes(testMessage(marker: marker)),
            relay: relay, origin: "test", originQueueID: "Q\(marker)"
        )
    }

    @Test("enqueue: message file in msg/, row with recipients, WAL and synchronous=FULL on the writer")
    func enqueue() async throws {
        try await withTemporaryQueue { queue, directory in
            let settings = try await queue.durabilitySettings()
            #expect(settings.journalMode == "wal")
            // Read on the writer, the connection that commits (DatabasePool's WAL set-up sets NORMAL
            // on it after prepareDatabase); a reader's setting would prove nothing.
            #expect(settings.synchronous == 2)
            let writer = try await queue.database.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") }
            #expect(writer == 2)
            let id = try await queue.enqueue(Self.request("one", to: ["b@example.org", "c@example.org"]))
            let entry = try #require(try await queue.entry(id))
            #expect(entry.sender == address("a@example.com"))
            #expect(entry.recipients.map(\.state) == [.pending, .pending])
            #expect(entry.relay == Self.relay)
            #expect(entry.originQueueID == "Qone")
            #expect(entry.attempts == 0)
            let files = try FileManager.default.contentsOfDirectory(atPath: "\(directory.path)/spool/msg")
            #expect(files.count == 1)
            #expect(try FileManager.default.contentsOfDirectory(atPath: "\(directory.path)/spool/tmp").isEmpty)
            let stored = try Data(contentsOf: URL(fileURLWithPath: "\(directory.path)/spool/msg/\(files[0])"))
            #expect(Array(stored) == testMessage(marker: "one"))
        }
    }

    @Test("enqueue copies a file and learns its 8-bit content; no recipient is refused")
    func enqueueFile() async throws {
        try await withTemporaryQueue { queue, directory in
            let source = "\(directory.path)/in.eml"
            try Data("Subject: ü\n\nGrüße\n".utf8).write(to: URL(fileURLWithPath: source))
            let id = try await queue.enqueue(EnqueueRequest(sender: address("a@example.com"), recipients: [address("b@example.org")], message: .file(source)))
            let entry = try #require(try await queue.entry(id))
            #expect(entry.relay == nil)
            let record = try #require(try await queue.leaseBatch(owner: "t", limit: 1, leaseDuration: .seconds(60)).first)
            #expect(record.entry.hasEightBitBytes)
            await #expect(throws: OutboundQueueError.self) {
                try await queue.enqueue(EnqueueRequest(sender: .null, recipients: [], message: .bytes([1])))
            }
        }
    }

    @Test("leasing: due entries of one relay, oldest first, never twice")
    func leasing() async throws {
        let clock = ManualClock()
        try await withTemporaryQueue(clock: clock.queueClock) { queue, _ in
            for index in 0..<3 { try await queue.enqueue(Self.request("a\(index)")) }
            try await queue.enqueue(Self.request("other", relay: Self.otherRelay))
            let first = try await queue.leaseBatch(owner: "me", limit: 2, leaseDuration: .seconds(60))
            #expect(first.map { $0.entry.originQueueId } == ["Qa0", "Qa1"])
            let second = try await queue.leaseBatch(owner: "me", limit: 10, leaseDuration: .seconds(60))
            #expect(second.map { $0.entry.originQueueId } == ["Qa2"])
            let third = try await queue.leaseBatch(owner: "me", limit: 10, leaseDuration: .seconds(60))
            #expect(third.map { $0.entry.originQueueId } == ["Qother"])
            #expect(try await queue.leaseBatch(owner: "me", limit: 10, leaseDuration: .seconds(60)).isEmpty)
            // Another owner may take an expired lease; the owner itself never re-takes its own.
            clock.advance(by: 120)
            #expect(try await queue.leaseBatch(owner: "me", limit: 10, leaseDuration: .seconds(60)).isEmpty)
            #expect(try await queue.leaseBatch(owner: "other", limit: 10, leaseDuration: .seconds(60)).count == 3)
            // A restarted runner releases everything.
            #expect(try await queue.releaseAllLeases() == 4)
            #expect(try await queue.leaseBatch(owner: "new", limit: 10, leaseDuration: .seconds(60)).count == 3)
        }
    }

    @Test("a deferred attempt: delivered recipients stay delivered, the entry waits, then retry makes it due")
    func deferredAttempt() async throws {
        let clock = ManualClock()
        try await withTemporaryQueue(clock: clock.queueClock) { queue, _ in
            let id = try await queue.enqueue(Self.request("d", to: ["b@example.org", "c@example.org"]))
            let leased = try #require(try await queue.leaseBatch(owner: "me", limit: 1, leaseDuration: .seconds(60)).first)
            let ids = leased.recipients.compactMap(\.id)
            let later = SMTPClientError.rejected(SMTPResponse(code: 450, "4.2.0 busy"), in: .recipient)
            var random = SequenceGenerator(state: 1)
            let outcome = AttemptOutcome(
                entry: leased.entry, recipients: leased.recipients,
                results: [ids[0]: .delivered(SMTPResponse(code: 250, "ok")), ids[1]: .failed(later)],
                now: clock.now.timeIntervalSince1970, schedule: RetrySchedule(jitter: 0), random: &random
            )
            #expect(outcome.decision == .retry(at: clock.now.timeIntervalSince1970 + 300))
            #expect(try await queue.recordAttempt(id, outcome: outcome, nextAttemptAt: clock.now.timeIntervalSince1970 + 300, owner: "me"))
            let recorded = try #require(try await queue.entry(id))
            #expect(recorded.recipients.map(\.state) == [.delivered, .deferred], "saved in the first step")
            #expect(recorded.leasedUntil != nil, "still leased until the second step")
            #expect(try await queue.finishAttempt(leased, report: nil, reported: [], complete: false, owner: "me") == 0)
            let entry = try #require(try await queue.entry(id))
            #expect(entry.recipients.map(\.state) == [.delivered, .deferred])
            #expect(entry.attempts == 1)
            #expect(entry.leasedUntil == nil)
            #expect(entry.lastError?.contains("450 4.2.0 busy") == true)
            #expect(try await queue.leaseBatch(owner: "me", limit: 1, leaseDuration: .seconds(60)).isEmpty, "not due yet")
            #expect(try await queue.retry(id))
            let again = try #require(try await queue.leaseBatch(owner: "me", limit: 1, leaseDuration: .seconds(60)).first)
            #expect(again.openRecipients.map(\.address) == ["c@example.org"], "the delivered recipient is never sent again")
        }
    }

    @Test("complete with a report: the report is queued from <>, the original and its file are gone, in one step")
    func completeWithReport() async throws {
        try await withTemporaryQueue { queue, directory in
            let id = try await queue.enqueue(Self.request("r"))
            let leased = try #require(try await queue.leaseBatch(owner: "me", limit: 1, leaseDuration: .seconds(60)).first)
            let stored = try await queue.spool.store(.bytes(Array("Subject: report\n\nreport\n".utf8)))
            let report = SpooledReport(
                request: EnqueueRequest(sender: .null, recipients: [address("a@example.com")], message: .bytes([]), relay: Self.relay, origin: "report"),
                spoolName: stored.name, properties: stored.properties
            )
            let reportID = try #require(try await queue.finishAttempt(leased, report: report, reported: [], complete: true, owner: "me"))
            #expect(reportID > id)
            #expect(try await queue.entry(id) == nil)
            let reportEntry = try #require(try await queue.entry(reportID))
            #expect(reportEntry.sender.isNull && reportEntry.isReport)
            #expect(try FileManager.default.contentsOfDirectory(atPath: "\(directory.path)/spool/msg") == [stored.name])
            // Completing again (lease gone) changes nothing and removes the new report file.
            let stray = try await queue.spool.store(.bytes([1, 2, 3]))
            let again = SpooledReport(request: report.request, spoolName: stray.name, properties: stray.properties)
            #expect(try await queue.finishAttempt(leased, report: again, reported: [], complete: true, owner: "me") == nil)
            #expect(try FileManager.default.contentsOfDirectory(atPath: "\(directory.path)/spool/msg") == [stored.name])
        }
    }

    @Test("retry all, drop removes the row and its file, statistics")
    func retryDropStatistics() async throws {
        let clock = ManualClock()
        try await withTemporaryQueue(clock: clock.queueClock) { queue, directory in
            let first = try await queue.enqueue(Self.request("1"))
            clock.advance(by: 10)
            try await queue.enqueue(Self.request("2"))
            var statistics = try await queue.statistics()
            #expect(statistics.depth == 2)
            #expect(statistics.oldestCreatedAt == clock.now.addingTimeInterval(-10))
            #expect(try await queue.retryAll() == 2)
            #expect(try await queue.drop(first))
            #expect(try await !queue.drop(first))
            #expect(try await !queue.retry(first))
            statistics = try await queue.statistics()
            #expect(statistics.depth == 1)
            #expect(try FileManager.default.contentsOfDirectory(atPath: "\(directory.path)/spool/msg").count == 1)
        }
    }

    @Test("orphaned message files are moved to quarantine/ and logged, never deleted; referenced ones kept; tmp/ leftovers removed")
    func orphans() async throws {
        try await withTemporaryQueue { queue, directory in
            let spool = "\(directory.path)/spool"
            func backdate(_ path: String) throws {
                try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -7200)], ofItemAtPath: path)
            }
            let id = try await queue.enqueue(Self.request("kept"))
            for name in try FileManager.default.contentsOfDirectory(atPath: "\(spool)/msg") { try backdate("\(spool)/msg/\(name)") }
            let referenced = try FileManager.default.contentsOfDirectory(atPath: "\(spool)/msg")
            for path in ["\(spool)/msg/orphan.eml", "\(spool)/tmp/partial.eml"] {
                _ = FileManager.default.createFile(atPath: path, contents: Data("orphan bytes".utf8))
                try backdate(path)
            }
            let result = try await queue.quarantineOrphanedFiles(olderThan: .seconds(600))
            #expect(result.quarantined == ["\(spool)/quarantine/orphan.eml"])
            #expect(result.removedTemporary == 1)
            #expect(try FileManager.default.contentsOfDirectory(atPath: "\(spool)/msg") == referenced)
            #expect(try FileManager.default.contentsOfDirectory(atPath: "\(spool)/tmp").isEmpty)
            #expect(try String(contentsOfFile: "\(spool)/quarantine/orphan.eml", encoding: .utf8) == "orphan bytes")

            // A delivery service does this at start and logs each file it moved.
            #expect(try await queue.drop(id))
            _ = FileManager.default.createFile(atPath: "\(spool)/msg/second.eml", contents: Data("x".utf8))
            try backdate("\(spool)/msg/second.eml")
            let logs = LogCapture()
            let service = try DeliveryService(
                queue: queue,
                configuration: DeliveryServiceConfiguration(client: SMTPClientConfiguration(heloName: "gw.test"), stopsWhenEmpty: true),
                logger: logs.logger()
            )
            try await service.run()
            let logged = try #require(logs.records(containing: "moved to quarantine").first)
            #expect(logged.level == .warning)
            #expect(logged.metadata["outbound.file"] == "\(spool)/quarantine/second.eml")
            #expect(logs.records(containing: "outbound delivery started").first?.metadata["outbound.quarantined_orphans"] == "1")
            #expect(try FileManager.default.contentsOfDirectory(atPath: "\(spool)/quarantine").sorted() == ["orphan.eml", "second.eml"])
        }
    }

    @Test("one delivery service per database: the runner lock is exclusive and freed on release")
    func runnerLock() async throws {
        try await withTemporaryQueue { queue, _ in
            let lock = try RunnerLock.acquire(forDatabase: queue.databasePath)
            #expect(throws: OutboundQueueError.self) { try RunnerLock.acquire(forDatabase: queue.databasePath) }
            lock.release()
            let again = try RunnerLock.acquire(forDatabase: queue.databasePath)
            again.release()
        }
    }
}

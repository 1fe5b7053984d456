import Foundation
import GRDB
import Logging
import Synchronization
import TestSupport
import Testing
@testable import Outbound

/// What keeps a steady stream of copies cheap: a delivery connection stays open for mail to its
/// relay that becomes due within the idle time, the releases of answered messages are committed
/// with the next lease, completions are committed together, and small messages live in a table
/// of their own (migrated from the entry row).
@Suite("Connection reuse, shared commits and the content table")
struct ConnectionReuseTests {
    static func service(_ queue: OutboundQueue, _ server: ScriptedSMTPServer, idle: Duration, logs: LogCapture = LogCapture()) throws -> DeliveryService {
        var configuration = DeliveryServiceConfiguration(
            client: SMTPClientConfiguration(heloName: "gateway.test", timeouts: SMTPTimeouts(all: .seconds(30))),
            defaultRelay: SMTPRelay(host: "127.0.0.1", port: server.port, tls: SMTPTLSSettings(mode: .none))
        )
        configuration.connectionIdleTime = idle
        return try DeliveryService(queue: queue, configuration: configuration, logger: logs.logger())
    }

    @Test("mail due within the idle time goes over the open connection (RSET between); after it a new connection is made; nothing is left in the queue")
    func reusedWithinIdleTime() async throws {
        try await withTemporaryQueue(inlineLimit: 64 * 1024) { queue, _ in
            try await ScriptedSMTPServer.withServer(respond: { standardReply($0) }) { server in
                let logs = LogCapture()
                let service = try Self.service(queue, server, idle: .seconds(3), logs: logs)
                try await QueueDeliveryTests.whileRunning(service, logger: logs.logger()) {
                    _ = try await queue.enqueue(HeldAndDestinationTests.request("first"))
                    #expect(await DeliveryServiceTests.wait { server.messages.count == 1 })
                    // (Once the connection waits for more: mail due while it is busy sending goes
                    // to another connection, up to `concurrency`.)
                    #expect(await DeliveryServiceTests.wait { queue.signal.arrivals.waiting == 1 })
                    // Held, then answered: released with the next lease, on the open connection.
                    let held = try await queue.enqueue(HeldAndDestinationTests.request("held", held: true))
                    #expect(queue.noteReleased([held]))
                    queue.releaseAnswered([held])
                    #expect(await DeliveryServiceTests.wait { server.messages.count == 2 })
                    #expect(await DeliveryServiceTests.wait { queue.signal.arrivals.waiting == 1 })
                    _ = try await queue.enqueue(HeldAndDestinationTests.request("third"))
                    #expect(await DeliveryServiceTests.wait { server.messages.count == 3 })
                    #expect(server.connections == 1, "one connection for mail arriving within the idle time")
                    #expect(server.commands.filter { $0 == "RSET" }.count == 2)
                    // Past the idle time the connection is closed (QUIT); the next mail opens another.
                    #expect(await DeliveryServiceTests.wait { server.commands.last == "QUIT" })
                    _ = try await queue.enqueue(HeldAndDestinationTests.request("after-idle"))
                    #expect(await DeliveryServiceTests.wait { server.messages.count == 4 })
                    #expect(server.connections == 2)
                    // The completions put off are committed (with a lease, or when the connection closed).
                    #expect(await DeliveryServiceTests.wait { (try? await queue.entries().isEmpty) == true })
                }
                for marker in ["first", "held", "third", "after-idle"] {
                    #expect(server.messages.filter { $0.contains(marker) }.count == 1, "\(marker) exactly once")
                }
                #expect(logs.records(containing: "delivery complete").count == 4)
            }
        }
    }

    @Test("deliveries put off are noted in the delivery journal first, and removed with the connection's next lease")
    func putOffCompletionsStayJournaled() async throws {
        try await withTemporaryQueue(inlineLimit: 64 * 1024) { queue, _ in
            try await ScriptedSMTPServer.withServer(respond: { standardReply($0) }) { server in
                let service = try Self.service(queue, server, idle: .seconds(30))
                try service.journal.open(empty: true)
                let ids = [
                    try await queue.enqueue(HeldAndDestinationTests.request("a")),
                    try await queue.enqueue(HeldAndDestinationTests.request("b")),
                ]
                let batch = try await queue.leaseBatch(owner: "runner", limit: 10, leaseDuration: .seconds(600))
                let stop = StopFlag()
                let delivery = Task { await service.deliver(batch, owner: "runner", stop: stop) }
                #expect(await DeliveryServiceTests.wait { server.messages.count == 2 })
                // Waiting for more on the open connection: its lease removed both.
                #expect(await DeliveryServiceTests.wait { (try? await queue.entries().isEmpty) == true })
                #expect(service.journal.lines().map(\.first) == ids, "each noted before its removal")
                let late = try await queue.enqueue(HeldAndDestinationTests.request("late"))
                #expect(await DeliveryServiceTests.wait { server.messages.count == 3 })
                stop.set()
                queue.signal.arrivals.close()
                await delivery.value
                #expect(try await queue.entry(late) == nil, "committed when the connection stopped")
                #expect(server.connections == 1)
            }
        }
    }

    @Test("idle connections: a pulse wakes the one waiting longest; a wait times out; a pulse before the wait is not lost; cancelled and closed waits return; a connection gathering takes new work")
    func workArrivals() async {
        let arrivals = WorkArrivals()
        #expect(!arrivals.pulse(), "nobody waits")
        let start = ContinuousClock.now
        #expect(await arrivals.wait(upTo: .milliseconds(50), since: arrivals.generation) == false)
        #expect(ContinuousClock.now - start >= .milliseconds(50))
        // A pulse between reading the generation and waiting (the connection was leasing).
        let read = arrivals.generation
        _ = arrivals.pulse()
        #expect(await arrivals.wait(upTo: .seconds(30), since: read), "returns at once")
        let woken = Woken()
        await withTaskGroup(of: Void.self) { group in
            for number in 0..<2 {
                group.addTask {
                    if await arrivals.wait(upTo: .seconds(30), since: arrivals.generation) { woken.numbers.withLock { $0.append(number) } }
                }
                while arrivals.waiting < number + 1 { await Task.yield() }
            }
            #expect(arrivals.pulse())
            while woken.numbers.withLock({ $0.count }) < 1 { await Task.yield() }
            #expect(woken.numbers.withLock { $0 } == [0], "the one waiting longest")
            #expect(arrivals.waiting == 1)
            arrivals.close()
        }
        #expect(woken.numbers.withLock { $0.sorted() } == [0, 1])
        #expect(await arrivals.wait(upTo: .seconds(30), since: arrivals.generation), "closed: at once")
        arrivals.open()
        // Cancelled while waiting: returns false promptly, leaves nothing behind.
        let cancelled = Task { await arrivals.wait(upTo: .seconds(60), since: arrivals.generation) }
        while arrivals.waiting < 1 { await Task.yield() }
        let cancelledAt = ContinuousClock.now
        cancelled.cancel()
        #expect(await cancelled.value == false)
        #expect(ContinuousClock.now - cancelledAt < .seconds(30))
        #expect(arrivals.waiting == 0)
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await arrivals.gather(for: .milliseconds(300)) }
            try? await Task.sleep(for: .milliseconds(50))
            #expect(arrivals.pulse(), "a connection about to lease takes it")
        }
        #expect(!arrivals.pulse())
    }

    @Test("a connection waiting for more makes way for another relay's mail at once; cancelling the service ends a waiting connection")
    func otherRelayAndCancellation() async throws {
        try await withTemporaryQueue(inlineLimit: 64 * 1024) { queue, _ in
            try await ScriptedSMTPServer.withServer(respond: { standardReply($0) }) { first in
                try await ScriptedSMTPServer.withServer(respond: { standardReply($0) }) { second in
                    var configuration = DeliveryServiceConfiguration(
                        client: SMTPClientConfiguration(heloName: "gateway.test", timeouts: SMTPTimeouts(all: .seconds(30))),
                        defaultRelay: SMTPRelay(host: "127.0.0.1", port: first.port, tls: SMTPTLSSettings(mode: .none)),
                        pollInterval: .seconds(600)
                    )
                    configuration.connectionIdleTime = .seconds(300)
                    let service = try DeliveryService(queue: queue, configuration: configuration, logger: LogCapture().logger())
                    let running = Task { try await service.run() }
                    _ = try await queue.enqueue(HeldAndDestinationTests.request("to-first"))
                    #expect(await DeliveryServiceTests.wait { first.messages.count == 1 })
                    #expect(await DeliveryServiceTests.wait { queue.signal.arrivals.waiting == 1 })
                    // Neither the 300 s idle time nor the 600 s poll: the waiting connection
                    // sees the other relay's entry and hands it to the loop.
                    let other = SMTPRelay(host: "127.0.0.1", port: second.port, tls: SMTPTLSSettings(mode: .none))
                    _ = try await queue.enqueue(HeldAndDestinationTests.request("to-second", relay: other))
                    #expect(await DeliveryServiceTests.wait { second.messages.count == 1 })
                    #expect(second.messages.first?.contains("to-second") == true)
                    // A connection waits again (a new one to the first relay, or the second's).
                    _ = try await queue.enqueue(HeldAndDestinationTests.request("to-first-again"))
                    #expect(await DeliveryServiceTests.wait { first.messages.count == 2 })
                    #expect(await DeliveryServiceTests.wait { queue.signal.arrivals.waiting >= 1 })
                    let cancelledAt = ContinuousClock.now
                    running.cancel()
                    _ = try? await running.value
                    #expect(ContinuousClock.now - cancelledAt < .seconds(60), "not the 300 s idle time")
                    #expect(queue.signal.arrivals.waiting == 0)
                }
            }
        }
    }

    @Test("v4 → v5: a message kept in the entry row moves to the content table and is delivered from there")
    func contentMigration() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = "\(directory.path)/queue.sqlite"
        let message = testMessage(marker: "migrated")
        do {
            let old = try DatabaseQueue(path: path)
            try QueueSchema.migrator.migrate(old, upTo: "v4-inline-content")
            try await old.write { db in
                try db.execute(sql: """
                    INSERT INTO outbound_entry (created_at, sender, spool_name, size, has_eight_bit_bytes, next_attempt_at, content)
                    VALUES (0, 'a@example.com', 'inline:old', ?, 0, 0, ?)
                    """, arguments: [message.count, Data(message)])
                try db.execute(sql: "INSERT INTO outbound_recipient (entry_id, address, state) VALUES (1, 'ok@example.org', 'pending')")
            }
        }
        let queue = try await OutboundQueue.open(databasePath: path, spoolPath: "\(directory.path)/spool")
        let leased = try #require(try await queue.leaseBatch(owner: "me", limit: 10, leaseDuration: .seconds(60)).first)
        #expect(leased.content.map { [UInt8]($0) } == message)
        let left = try await queue.database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outbound_entry WHERE content IS NOT NULL") }
        #expect(left == 0, "the row no longer carries it")
        // Removing the entry removes its content.
        #expect(try await queue.drop(leased.id))
        let contents = try await queue.database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outbound_content") }
        #expect(contents == 0)
    }
}

/// The waiters a pulse woke, in order.
private final class Woken: Sendable {
    let numbers = Mutex<[Int]>([])
}

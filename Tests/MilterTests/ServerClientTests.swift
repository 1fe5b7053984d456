import Foundation
import Logging
import Milter
import NIOCore
import NIOPosix
import ServiceLifecycle
import TestSupport
import Testing

@Suite("Server and client over real sockets")
struct ServerClientTests {
    @Test("TCP: a message is filtered, a sender is rejected, replies come back")
    func tcpLoopback() async throws {
        try await withMilterServer(makeHandler: { _ in CountingFilter() }) { address in
            try await MilterClient.withSession(to: address) { session in
                let connect = try await session.connect(hostname: "client.example.net", address: .inet(address: "203.0.113.7", port: 40000))
                #expect(connect.response == .continue)
                let accepted = try await session.send(sampleTransaction())
                #expect(accepted.decision == .continue)
                #expect(accepted.modifications == [.addHeader(name: "X-Count", value: "1")])
                let rejected = try await session.send(sampleTransaction(from: "reject@example.com"))
                #expect(rejected.decision == .replyCode("550 5.7.1 rejected by example"))
                #expect(rejected.decidedAt == "mail")
            }
        }
    }

    @Test("IPv6: inet6:PORT@::1 serves like IPv4")
    func ipv6Loopback() async throws {
        try await withMilterServer(listen: try MilterSocketAddress(parsing: "inet6:0@::1"), makeHandler: { _ in CountingFilter() }) { address in
            #expect(address.sendmailSpelling.hasPrefix("inet6:"))
            try await MilterClient.withSession(to: address) { session in
                _ = try await session.connect(hostname: "[2001:db8::7]", address: .inet6(address: "2001:db8::7", port: 40000))
                #expect(try await session.send(sampleTransaction()).modifications.count == 1)
            }
        }
    }

    @Test("unix socket: same protocol, socket file writable by the MTA's user")
    func unixSocket() async throws {
        let path = "/tmp/sekisho-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
        defer { unlink(path) }
        try await withMilterServer(listen: .unix(path: path), makeHandler: { _ in CountingFilter() }) { address in
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            #expect((attributes[.posixPermissions] as? Int) == 0o666)
            try await MilterClient.withSession(to: address) { session in
                _ = try await session.connect(hostname: "localhost", address: .unix(path: "/run/client"))
                #expect(try await session.send(sampleTransaction()).modifications.count == 1)
            }
        }
    }

    @Test("20 messages on one connection keep per-connection state; QUIT_NC starts a new handler")
    func manyMessages() async throws {
        try await withMilterServer(makeHandler: { _ in CountingFilter() }) { address in
            try await MilterClient.withSession(to: address) { session in
                _ = try await session.connect(hostname: "h", address: .inet(address: "192.0.2.1", port: 1))
                for number in 1...20 {
                    let result = try await session.send(sampleTransaction(marker: "m\(number)"))
                    #expect(result.modifications == [.addHeader(name: "X-Count", value: "\(number)")])
                }
                try await session.quitNewConnection()
                _ = try await session.connect(hostname: "h2", address: .inet(address: "192.0.2.2", port: 2))
                #expect(try await session.send(sampleTransaction()).modifications == [.addHeader(name: "X-Count", value: "1")])
            }
        }
    }

    @Test("a slow end-of-message handler sends progress packets, then its final reply")
    func progressKeepAlive() async throws {
        struct SlowFilter: MilterHandler {
            func endOfMessage(_ modifier: MessageModifier, macros: MilterMacros) async throws -> MilterVerdict {
                try await Task.sleep(for: .milliseconds(4000))
                try modifier.addHeader("X-Slow", value: "done")
                return .continue
            }
        }
        try await withMilterServer(configure: { $0.progressInterval = .milliseconds(300) }, makeHandler: { _ in SlowFilter() }) { address in
            var configuration = MilterClient.Configuration()
            // Without progress packets the client would give up after 2.5 s; the handler takes 4 s.
            // (Generous: the whole suite shares two cores.)
            configuration.timeout = .milliseconds(2500)
            try await MilterClient.withSession(to: address, configuration: configuration) { session in
                _ = try await session.connect(hostname: "h", address: .unknown)
                let result = try await session.send(sampleTransaction())
                #expect(result.progressCount >= 3, "progress packets: \(result.progressCount)")
                #expect(result.decision == .continue)
                #expect(result.modifications == [.addHeader(name: "X-Slow", value: "done")])
            }
        }
    }

    @Test("the connection limit refuses extra connections with a log line")
    func connectionLimit() async throws {
        let logs = LogCapture()
        try await withMilterServer(logs: logs, configure: { $0.maximumConnections = 2 }, makeHandler: { _ in CountingFilter() }) { address in
            try await MilterClient.withSession(to: address) { first in
                try await MilterClient.withSession(to: address) { second in
                    _ = try await first.connect(hostname: "a", address: .unknown)
                    _ = try await second.connect(hostname: "b", address: .unknown)
                    await #expect(throws: (any Error).self) {
                        try await MilterClient.withSession(to: address) { _ in }
                    }
                }
            }
            #expect(logs.records(containing: "refusing milter connection").count == 1)
            // Once they are closed, new connections are served again.
            try await Task.sleep(for: .milliseconds(200))
            try await MilterClient.withSession(to: address) { session in
                _ = try await session.connect(hostname: "c", address: .unknown)
            }
        }
    }

    @Test("idle and read timeouts close the connection with one clear line")
    func timeouts() async throws {
        let logs = LogCapture()
        try await withMilterServer(
            logs: logs,
            configure: {
                $0.idleTimeout = .milliseconds(400)
                $0.readTimeout = .milliseconds(300)
            },
            makeHandler: { _ in CountingFilter() }
        ) { address in
            // Idle: negotiate and connect, then say nothing.
            let negotiation = encoded(MilterCommand.optionNegotiation(.postfix)) + encoded(MilterCommand.connect(hostname: "h", address: .unknown))
            let idle = try await sendRawAndAwaitClose(negotiation, to: address)
            #expect(idle != nil, "the server closed the idle connection")
            // Read: half a frame, then stall.
            let stalled = try await sendRawAndAwaitClose([0, 0, 0, 13, 0x4F, 0, 0], to: address)
            #expect(stalled != nil, "the server closed the stalled connection")
            try await Task.sleep(for: .milliseconds(100))
            #expect(logs.records(containing: "idle timeout").count == 1)
            #expect(logs.records(containing: "read timeout").count == 1)
            #expect(logs.records(containing: "read timeout").allSatisfy { $0.metadata["milter.peer"]?.hasPrefix("127.0.0.1:") == true })
        }
    }

    @Test("a frame that stalls after a long idle wait still meets the read timeout")
    func readTimeoutAfterIdle() async throws {
        let logs = LogCapture()
        try await withMilterServer(
            logs: logs,
            configure: {
                $0.idleTimeout = .seconds(30)
                $0.readTimeout = .milliseconds(300)
            },
            makeHandler: { _ in CountingFilter() }
        ) { address in
            // Negotiate and connect, idle past the first timer check, then half a frame and stall.
            let hello = encoded(MilterCommand.optionNegotiation(.postfix)) + encoded(MilterCommand.connect(hostname: "h", address: .unknown))
            let started = ContinuousClock.now
            let closed = try await sendRawAndAwaitClose(steps: [(.zero, hello), (.milliseconds(500), [0, 0, 0, 20, UInt8(ascii: "M")])], to: address)
            let waited = ContinuousClock.now - started
            #expect(closed != nil, "the server closed the stalled connection")
            // Well before the idle timeout (30 s) would have fired; loose because the suite runs in parallel.
            #expect(waited < .seconds(15), "closed after \(waited), not after the read timeout")
            try await Task.sleep(for: .milliseconds(100))
            #expect(logs.records(containing: "read timeout").count == 1)
        }
    }

    static let badInputs: [(String, [UInt8], String)] = [
        ("garbage bytes", Array("GET / HTTP/1.0\r\n\r\n".utf8), "frame too large"),
        ("length 0", [0, 0, 0, 0], "empty frame"),
        ("length 2^31", [0x80, 0, 0, 0, 0x4F], "frame too large"),
        ("unknown command", encoded(MilterCommand.optionNegotiation(.postfix)) + [0, 0, 0, 1, 0x5A], "unknown command"),
        ("out of order", encoded(MilterCommand.optionNegotiation(.postfix)) + encoded(MilterCommand.body(ByteBuffer(string: "x"))), "command out of order"),
        ("truncated frame", [0, 0, 0, 13, 0x4F, 0, 0, 0], "truncated frame"),
        ("bad negotiation", encoded(MilterCommand.optionNegotiation(OptionNegotiation(version: 1, actions: .all, protocolOptions: .all))), "option negotiation failed"),
    ]

    @Test("bad input closes only that connection, with one log line naming peer and reason")
    func badInput() async throws {
        let logs = LogCapture()
        try await withMilterServer(logs: logs, configure: { $0.readTimeout = .seconds(2) }, makeHandler: { _ in CountingFilter() }) { address in
            // A good session stays open across all the bad ones.
            try await MilterClient.withSession(to: address) { good in
                _ = try await good.connect(hostname: "good", address: .inet(address: "192.0.2.9", port: 9))
                #expect(try await good.send(sampleTransaction(marker: "before")).decision == .continue)
                for (name, bytes, reason) in Self.badInputs {
                    let closeAfterWrite = name == "truncated frame"
                    let before = logs.records(containing: "closing milter connection").count
                    let reply = try await sendRawAndAwaitClose(bytes, to: address, closeAfterWrite: closeAfterWrite)
                    #expect(reply != nil, "\(name): connection not closed")
                    try await Task.sleep(for: .milliseconds(50))
                    let lines = Array(logs.records(containing: "closing milter connection").dropFirst(before))
                    #expect(lines.count == 1, "\(name): \(lines)")
                    #expect(lines.first?.message.contains(reason) == true, "\(name): \(lines)")
                    #expect(lines.first?.metadata["milter.peer"]?.hasPrefix("127.0.0.1:") == true, "\(name)")
                    #expect(lines.first?.level == .warning)
                    #expect(try await good.send(sampleTransaction(marker: "during \(name)")).decision == .continue)
                }
            }
            #expect(logs.records(containing: "closing milter connection").count == Self.badInputs.count)
        }
    }

    /// Runs a server in a ServiceGroup, hands the test the address and the group.
    func withServiceGroup(
        drain: TimeAmount,
        _ body: (MilterSocketAddress, ServiceGroup) async throws -> Void
    ) async throws {
        let logs = LogCapture()
        let (addresses, continuation) = AsyncStream<MilterSocketAddress>.makeStream()
        var configuration = MilterServer<CountingFilter>.Configuration(listen: .inet(host: "127.0.0.1", port: 0))
        configuration.onListening = { continuation.yield($0) }
        configuration.shutdownDrainTimeout = drain
        let server = MilterServer(configuration: configuration, logger: logs.logger()) { _ in CountingFilter() }
        let group = ServiceGroup(services: [server], logger: logs.logger(level: .warning))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = addresses.makeAsyncIterator()
            let address = try #require(await iterator.next())
            try await body(address, group)
            try await tasks.next()
        }
    }

    @Test("graceful shutdown stops accepting and finishes the open message; after the drain time it closes between messages")
    func gracefulShutdown() async throws {
        try await withServiceGroup(drain: .milliseconds(300)) { address, group in
            try await MilterClient.withSession(to: address) { session in
                _ = try await session.connect(hostname: "h", address: .unknown)
                let transaction = sampleTransaction()
                _ = try await session.mail(transaction.sender)
                _ = try await session.recipient(transaction.recipients[0])
                _ = try await session.data()
                await group.triggerGracefulShutdown()
                // The listener closes: a new connection fails (soon; the machine may be busy).
                var refused = false
                let listenerDeadline = ContinuousClock.now + .seconds(20)
                while !refused && ContinuousClock.now < listenerDeadline {
                    try await Task.sleep(for: .milliseconds(100))
                    do {
                        var quick = MilterClient.Configuration()
                        quick.timeout = .seconds(2)
                        try await MilterClient.withSession(to: address, configuration: quick) { _ in }
                    } catch {
                        refused = true
                    }
                }
                #expect(refused, "the listener still accepts after the shutdown")
                // The open message still gets its answer, after the drain time too (well after it:
                // under load the shutdown can reach the session late).
                try await Task.sleep(for: .milliseconds(2000))
                for field in transaction.headers { _ = try await session.header(field) }
                _ = try await session.endOfHeaders()
                _ = try await session.body(transaction.body)
                let eom = try await session.endOfMessage()
                #expect(eom.response == .continue)
                #expect(eom.modifications == [.addHeader(name: "X-Count", value: "1")])
                // Between messages, past the drain time, the server closes the connection. Under a
                // loaded machine the shutdown can reach the session late, so wait for the close
                // (a new message is refused by the closed connection) rather than assume a time.
                var closed = false
                let deadline = ContinuousClock.now + .seconds(30)
                while !closed && ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(500))
                    do {
                        _ = try await session.mail(transaction.sender)
                        _ = try await session.recipient(transaction.recipients[0])
                        try await session.abort()
                    } catch {
                        closed = true
                    }
                }
                #expect(closed, "the server kept the session open past the drain time")
            }
        }
    }

    @Test("within the drain time an open SMTP session keeps being served, message after message")
    func drainKeepsSessions() async throws {
        try await withServiceGroup(drain: .seconds(30)) { address, group in
            try await MilterClient.withSession(to: address) { session in
                _ = try await session.connect(hostname: "h", address: .unknown)
                #expect(try await session.send(sampleTransaction()).decision == .continue)
                await group.triggerGracefulShutdown()
                try await Task.sleep(for: .milliseconds(200))
                #expect(try await session.send(sampleTransaction()).modifications == [.addHeader(name: "X-Count", value: "2")])
                #expect(try await session.send(sampleTransaction()).modifications == [.addHeader(name: "X-Count", value: "3")])
            }
            // The session ended with QUIT; the group then finishes without waiting for the drain time.
        }
    }
}

@Suite("Server cancellation")
struct ServerCancellationTests {
    @Test("cancelling the server closes open connections and run() returns")
    func cancellation() async throws {
        let (addresses, continuation) = AsyncStream<MilterSocketAddress>.makeStream()
        var configuration = MilterServer<CountingFilter>.Configuration(listen: .inet(host: "127.0.0.1", port: 0))
        configuration.onListening = { continuation.yield($0) }
        let server = MilterServer(configuration: configuration, logger: LogCapture().logger()) { _ in CountingFilter() }
        let serverTask = Task { try await server.run() }
        var iterator = addresses.makeAsyncIterator()
        let address = try #require(await iterator.next())
        try await MilterClient.withSession(to: address) { session in
            _ = try await session.connect(hostname: "h", address: .unknown)
            serverTask.cancel()
            _ = await serverTask.result
            await #expect(throws: (any Error).self) {
                try await session.send(sampleTransaction())
            }
        }
    }
}

@Suite("Macro lists over the wire")
struct MacroListTests {
    struct MacroFilter: MilterHandler {
        var capabilities: MilterCapabilities {
            MilterCapabilities(macros: [MacroRequest(stage: .connect, names: ["j", "{client_addr}"])])
        }

        func connect(_ client: ConnectInfo, macros: MilterMacros) async throws -> MilterVerdict {
            // The client sent only the macros this filter asked for.
            macros.all.map(\.name) == ["j", "{client_addr}"] && macros["client_addr"] == "203.0.113.7" ? .continue : .reject
        }
    }

    @Test("a filter's SETSYMLIST request replaces the MTA's list for that stage")
    func requestedMacros() async throws {
        try await withMilterServer(makeHandler: { _ in MacroFilter() }) { address in
            try await MilterClient.withSession(to: address) { session in
                #expect(session.negotiated.actions.contains(.setSymbolList))
                #expect(session.negotiated.macroRequests == [MacroRequest(stage: .connect, names: ["j", "{client_addr}"])])
                let reply = try await session.connect(
                    hostname: "h",
                    address: .inet(address: "203.0.113.7", port: 1),
                    macros: [
                        MilterMacro(name: "j", value: "mx"), MilterMacro(name: "{daemon_name}", value: "smtpd"),
                        MilterMacro(name: "{client_addr}", value: "203.0.113.7"), MilterMacro(name: "v", value: "Postfix"),
                    ]
                )
                #expect(reply.response == .continue)
            }
        }
    }
}

@Suite("HDR_LEADSPC over the wire")
struct LeadingSpaceTests {
    /// Asks for HDR_LEADSPC, checks what arrives, answers with modifications that carry their own space.
    struct LeadingSpaceFilter: MilterHandler {
        var capabilities: MilterCapabilities { MilterCapabilities(headerLeadingSpace: true) }
        var seen = [String]()

        mutating func header(_ field: HeaderField, macros: MilterMacros) async throws -> MilterVerdict {
            guard field.leadingSpaceKept else { return .reject }
            seen.append(field.name + ":" + String(decoding: field.rawValue, as: UTF8.self))
            return .continue
        }

        func endOfMessage(_ modifier: MessageModifier, macros: MilterMacros) async throws -> MilterVerdict {
            // The field exactly as written, colon spacing included.
            guard seen == ["Subject:  two spaces", "X-Tight:no space", "X-Tab:\tvalue"] else { return .reject }
            try modifier.addHeader("X-Added", value: " added")
            try modifier.changeHeader("Subject", value: " changed")
            return .continue
        }
    }

    @Test("values keep the whitespace after the colon; modifications carry their own space")
    func leadingSpace() async throws {
        try await withMilterServer(makeHandler: { _ in LeadingSpaceFilter() }) { address in
            try await MilterClient.withSession(to: address) { session in
                #expect(session.negotiated.protocolOptions.contains(.headerLeadingSpace))
                _ = try await session.connect(hostname: "h", address: .inet(address: "192.0.2.1", port: 1))
                let result = try await session.send(
                    MilterTransaction(
                        message: Array("Subject:  two spaces\r\nX-Tight:no space\r\nX-Tab:\tvalue\r\n\r\nbody\r\n".utf8),
                        sender: EnvelopeAddress(raw: "<a@b>"), recipients: [EnvelopeAddress(raw: "<c@d>")]
                    )
                )
                #expect(result.decision == .continue)
                // Reported in the MTA's usual form (one space taken off), as without HDR_LEADSPC.
                #expect(result.modifications == [.addHeader(name: "X-Added", value: "added"), .changeHeader(index: 1, name: "Subject", value: "changed")])
            }
        }
    }
}

import NIOCore
import Crypto
import Daemon
import Foundation
import Logging
import MailMessage
import Milter
import ServiceLifecycle
import TestSupport
import Testing

/// The gateway's milter handler driven by the MTA-side client: rules decide, the pipeline runs,
/// the MTA gets header changes and body replacements, failures give the failure action.
@Suite("Policy milter")
struct PolicyMilterTests {
    static let policy = """
        internal:
          domains: [corp.example]
          networks: [10.0.0.0/8]
        rules:
          - name: mark-outbound
            when: {direction: outbound}
            actions:
              - header: {name: X-Sekisho-Checked, value: "外部宛て"}
              - banner: {text: "社外宛てメール / external mail"}
          - name: needs-encryption
            when: {subject_contains: ["[encrypt]"]}
            actions: [virus_scan]
        """

    func withGateway(_ yaml: String, _ body: (MilterSocketAddress, String) async throws -> Void) async throws -> LogCapture {
        let logs = LogCapture()
        let state = "/tmp/sekisho-policy-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: state) }
        var configuration = try ConfigurationLoader.parse(yaml)
        configuration.milterListeners = [.inet(host: "127.0.0.1", port: 0)]
        configuration.stateDirectory = state
        configuration.webListen = nil
        let (addresses, continuation) = AsyncStream<MilterSocketAddress>.makeStream()
        let services = try await Gateway.buildServices(configuration: configuration, logger: logs.logger(level: .info)) { continuation.yield($0) }
        let group = ServiceGroup(services: services, logger: logs.logger(level: .warning))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = addresses.makeAsyncIterator()
            let address = try #require(await iterator.next())
            try await body(address, state)
            await group.triggerGracefulShutdown()
            try await tasks.next()
        }
        return logs
    }

    func send(_ address: MilterSocketAddress, client: String, from: String, to: [String], message: String) async throws -> MilterTransactionResult {
        try await MilterClient.withSession(to: address) { session in
            _ = try await session.connect(hostname: "client.example", address: .inet(address: client, port: 40000))
            let transaction = MilterTransaction(
                message: Array(message.utf8),
                sender: EnvelopeAddress(raw: "<\(from)>"),
                recipients: to.map { EnvelopeAddress(raw: "<\($0)>") },
                macros: [.endOfMessage: [MilterMacro(name: "i", value: "4Q1D")]]
            )
            return try await session.send(transaction)
        }
    }

    static let plain = "From: taro@corp.example\r\nTo: x@partner.example\r\nSubject: report\r\nMessage-ID: <m1@corp.example>\r\nContent-Type: text/plain; charset=ISO-2022-JP\r\n\r\nhello\r\n"

    @Test("outbound mail gets the header and the banner; the message the MTA ends up with decodes")
    func transforms() async throws {
        _ = try await withGateway(Self.policy) { address, _ in
            let result = try await send(address, client: "10.1.1.1", from: "taro@corp.example", to: ["x@partner.example"], message: Self.plain)
            #expect(result.decision == .continue)
            let transaction = MilterTransaction(message: Array(Self.plain.utf8), sender: EnvelopeAddress(raw: "<taro@corp.example>"), recipients: [EnvelopeAddress(raw: "<x@partner.example>")])
            let delivered = try MailMessage.parse(Array(transaction.applying(result.modifications).messageBytes.readableBytesView))
            #expect(delivered.header.text("X-Sekisho-Checked") == "外部宛て")
            #expect(delivered.root.contentType.charsetLabel == "utf-8" || delivered.root.contentType.charsetLabel == "iso-2022-jp")
            #expect(try delivered.root.decodedText().hasPrefix("社外宛てメール / external mail"))
            #expect(try delivered.root.decodedText().contains("hello"))
        }
    }

    @Test("inbound mail matches no rule and passes unchanged")
    func inbound() async throws {
        _ = try await withGateway(Self.policy) { address, _ in
            let result = try await send(address, client: "203.0.113.5", from: "a@outside.example", to: ["taro@corp.example"], message: Self.plain)
            #expect(result.decision == .continue)
            #expect(result.modifications.isEmpty)
        }
    }

    @Test("a rule naming a filter this build lacks fails safe: tempfail, one log line with the queue id")
    func missingFilter() async throws {
        let logs = try await withGateway(Self.policy) { address, _ in
            let message = Self.plain.replacingOccurrences(of: "Subject: report", with: "Subject: [encrypt] report")
            let result = try await send(address, client: "203.0.113.5", from: "a@outside.example", to: ["taro@corp.example"], message: message)
            #expect(result.decision == .tempfail)
        }
        let line = try #require(logs.records(containing: "message not processed").first)
        #expect(line.metadata["mail.queue_id"] == "4Q1D")
        #expect(line.metadata["verdict"] == "tempfail")
    }

    @Test("a forged loop-guard header from outside is removed and the message is processed")
    func forgedLoopGuard() async throws {
        _ = try await withGateway(Self.policy) { address, _ in
            let forged = "X-Sekisho-Loop: v=1; t=1764400000; mac=\(String(repeating: "ab", count: 32))\r\n" + Self.plain
            let result = try await send(address, client: "10.1.1.1", from: "taro@corp.example", to: ["x@partner.example"], message: forged)
            #expect(result.decision == .continue)
            #expect(result.modifications.contains(.changeHeader(index: 1, name: "X-Sekisho-Loop", value: "")))
            #expect(result.modifications.contains { if case .addHeader(name: "X-Sekisho-Checked", _) = $0 { return true }; return false })
        }
    }

    @Test("a valid stamp from this gateway passes the message untouched")
    func validLoopGuard() async throws {
        _ = try await withGateway(Self.policy) { address, state in
            let key = try LoopGuard.loadOrCreateKey(at: "\(state)/loop.key")
            let stamp = LoopGuard(key: key).stamp(messageID: "m1@corp.example", recipients: ["x@partner.example"], now: Int64(Date().timeIntervalSince1970))
            let message = "X-Sekisho-Loop: \(stamp)\r\n" + Self.plain
            let result = try await send(address, client: "10.1.1.1", from: "taro@corp.example", to: ["x@partner.example"], message: message)
            #expect(result.decision == .continue)
            #expect(result.modifications.isEmpty)
        }
    }

    @Test("recipients needing different treatment are kept at the MTA (tempfail) until reinjection is configured")
    func mixedRecipients() async throws {
        _ = try await withGateway(Self.policy) { address, _ in
            let result = try await send(address, client: "10.1.1.1", from: "taro@corp.example", to: ["x@partner.example", "hanako@corp.example"], message: Self.plain)
            #expect(result.decision == .tempfail)
        }
    }
}

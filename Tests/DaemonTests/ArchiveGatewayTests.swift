import Archive
import Foundation
import Logging
import Milter
import Policy
import ServiceLifecycle
import TestSupport
import Testing

@testable import Daemon

/// The archive inside the gateway, driven by the MTA-side milter client (no MTA): one copy per
/// message whatever the groups, the policy's sides and skips, delivered copies, and the failure
/// action when the copy cannot be written.
@Suite("Archive in the gateway")
struct ArchiveGatewayTests {
    func withGateway(_ yaml: (String) -> String, _ body: (MilterSocketAddress, String) async throws -> Void) async throws {
        try await withGateway(yaml) { address, state, _ in try await body(address, state) }
    }

    func withGateway(_ yaml: (String) -> String, _ body: (MilterSocketAddress, String, GatewayMetrics) async throws -> Void) async throws {
        let state = "/tmp/sekisho-archive-gw-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: state) }
        var configuration = try ConfigurationLoader.parse(yaml(state))
        configuration.milterListeners = [.inet(host: "127.0.0.1", port: 0)]
        configuration.stateDirectory = state
        configuration.webListen = nil
        let logs = LogCapture()
        let (addresses, continuation) = AsyncStream<MilterSocketAddress>.makeStream()
        let built = try await Gateway.build(configuration: configuration, logger: logs.logger(level: .info)) { continuation.yield($0) }
        let group = ServiceGroup(services: built.services, logger: logs.logger(level: .warning))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = addresses.makeAsyncIterator()
            let address = try #require(await iterator.next())
            try await body(address, state, built.metrics)
            await group.triggerGracefulShutdown()
            try await tasks.next()
        }
    }

    func send(_ address: MilterSocketAddress, from: String, to: [String], message: String) async throws -> MilterTransactionResult {
        try await MilterClient.withSession(to: address) { session in
            _ = try await session.connect(hostname: "client.example", address: .inet(address: "10.1.2.3", port: 40000))
            return try await session.send(
                MilterTransaction(
                    message: Array(message.utf8), sender: EnvelopeAddress(raw: "<\(from)>"), recipients: to.map { EnvelopeAddress(raw: "<\($0)>") },
                    macros: [.endOfMessage: [MilterMacro(name: "i", value: "4Q1D")]]
                )
            )
        }
    }

    /// Every copy on disk (the catch-up indexes what the background indexer has not yet).
    func copies(_ state: String) throws -> [ArchivedMessage] {
        let store = try Gateway.openArchive(ArchiveGatewaySettings(directory: "\(state)/archive"))
        try store.catchUp()
        return try store.index.messages(matching: ArchiveQuery(clauses: []), scope: .everything)
    }

    static let mail = "From: a@corp.example\r\nSubject:\tplain  spacing\r\nX-Odd:no-space\r\nDate: Sun, 29 Nov 2026 12:00:00 +0900\r\n\r\nbody\r\n"

    @Test func oneCopyPerMessageAcrossGroupsWithDeliveredCopies() async throws {
        try await withGateway({ state in
            """
            internal: {domains: [corp.example], networks: [10.0.0.0/8]}
            reinjection: {relay: 127.0.0.1:9}
            archive: {directory: \(state)/archive, folder: ".%M", save_policy: sender}
            rules:
              - name: all
                actions:
                  - archive: {delivered: yes}
              - name: mark
                when: {recipient: [partner.example]}
                actions:
                  - header: {name: X-Mark, value: "1"}
            """
        }) { address, state in
            let result = try await send(address, from: "a@corp.example", to: ["x@partner.example", "y@other.example"], message: Self.mail)
            #expect(result.decision == .continue)
            let copies = try copies(state)
            let received = copies.filter { $0.envelope.kind == .received }
            let delivered = copies.filter { $0.envelope.kind == .delivered }
            #expect(received.count == 1)
            #expect(received.first?.envelope.recipients == ["x@partner.example", "y@other.example"])
            #expect(received.first?.envelope.folders == [".a@corp,example"])
            #expect(received.first?.envelope.direction == "outbound")
            #expect(received.first?.envelope.queueID == "4Q1D")
            // Two groups (the header differs): two delivered copies, each with its recipients.
            #expect(Set(delivered.map(\.envelope.recipients)) == [["x@partner.example"], ["y@other.example"]])
            // The received copy is the message as the MTA passed it, spacing and all (HDR_LEADSPC).
            let store = try Gateway.openArchive(ArchiveGatewaySettings(directory: "\(state)/archive"))
            let message = try #require(try store.index.message(key: received[0].key))
            #expect(String(decoding: try store.bytes(of: message), as: UTF8.self) == Self.mail)
        }
    }

    @Test func policySidesAndSkippedHeaders() async throws {
        try await withGateway({ state in
            """
            archive:
              directory: \(state)/archive
              save_policy: recipient
              addresses: [corp.example]
              skip_header: ["^X-Spam-Flag: *YES"]
            rules:
              - name: all
                actions: [archive]
            """
        }) { address, state in
            _ = try await send(address, from: "a@corp.example", to: ["z@outside.example"], message: Self.mail)
            #expect(try copies(state).isEmpty, "only recipients in corp.example count")
            _ = try await send(address, from: "z@outside.example", to: ["b@corp.example"], message: "X-Spam-Flag: YES\r\n" + Self.mail)
            #expect(try copies(state).isEmpty, "skipped by header")
            _ = try await send(address, from: "z@outside.example", to: ["b@corp.example"], message: Self.mail)
            #expect(try copies(state).count == 1)
        }
    }

    @Test func aCopyThatCannotBeWrittenTempfails() async throws {
        try await withGateway({ state in
            "archive: {directory: \(state)/archive}\nrules:\n  - name: all\n    actions: [archive]\n"
        }) { address, state in
            // The folder for today cannot be created: a file is in its way.
            let store = try Gateway.openArchive(ArchiveGatewaySettings(directory: "\(state)/archive"))
            let folder = store.folders(for: ArchiveEnvelope(sender: "a@b", recipients: [], receivedAt: Date()), savedFor: ["a@b"])[0]
            try Data("x".utf8).write(to: URL(fileURLWithPath: "\(state)/archive/\(folder)"))
            let result = try await send(address, from: "a@corp.example", to: ["b@corp.example"], message: Self.mail)
            #expect(result.decision == .tempfail)
        }
    }

    @Test func metricsCountCopiesAndFailures() async throws {
        try await withGateway({ state in
            "archive: {directory: \(state)/archive}\nrules:\n  - name: all\n    actions: [archive]\n"
        }) { address, state, metrics in
            _ = try await send(address, from: "a@corp.example", to: ["b@corp.example"], message: Self.mail)
            try FileManager.default.removeItem(atPath: "\(state)/archive")
            try Data("x".utf8).write(to: URL(fileURLWithPath: "\(state)/archive"))
            _ = try await send(address, from: "a@corp.example", to: ["b@corp.example"], message: Self.mail)
            let text = String(decoding: metrics.exposition(), as: UTF8.self)
            #expect(text.contains("sekisho_archive_copies_total{kind=\"received\"} 1"), "\(text)")
            #expect(text.contains("sekisho_archive_copies_total{kind=\"failed\"} 1"), "\(text)")
            #expect(text.contains("sekisho_archive_index_backlog"), "\(text)")
        }
    }

    @Test func retentionIsTheLongestOfTheRecipientsAndForeverWins() {
        func decision(_ actions: [[String: String]?], default days: Int?) -> ArchiveStep.Decision? {
            let decisions = actions.enumerated().map { index, parameters -> RecipientDecision in
                var decision = RecipientDecision(recipient: "r\(index)@x.example", direction: .inbound)
                if let parameters { decision.actions = [RuleAction(filter: "archive", parameters: parameters)] }
                return decision
            }
            return ArchiveStep.decision(decisions, defaultRetentionDays: days) { $0.parameters }
        }
        // A rule with its own 3650d and one relying on the 365d default: 3650 days.
        #expect(decision([["retention": "3650d"], [:]], default: 365) == .init(retentionDays: 3650, delivered: false))
        #expect(decision([["retention": "30d"], [:]], default: 365) == .init(retentionDays: 365, delivered: false))
        // No default and a rule without retention: kept for ever.
        #expect(decision([["retention": "30d"], [:]], default: nil) == .init(retentionDays: nil, delivered: false))
        #expect(decision([nil, ["delivered": "yes"]], default: 90) == .init(retentionDays: 90, delivered: true))
        #expect(decision([nil, nil], default: 90) == nil)
    }

    @Test func configurationIsChecked() {
        #expect(throws: ConfigurationError.self) { try ConfigurationLoader.parse("rules:\n  - name: a\n    actions: [archive]\n") }
        #expect(throws: ConfigurationError.self) { try ConfigurationLoader.parse("archive: {folder: \"2026\"}\n") }
        #expect(throws: ConfigurationError.self) { try ConfigurationLoader.parse("archive: {save_policy: everyone}\n") }
        #expect(throws: ConfigurationError.self) { try ConfigurationLoader.parse("archive: {skip_header: [\"(\"]}\n") }
        #expect(throws: ConfigurationError.self) { try ConfigurationLoader.parse("archive: {retention: 12h}\n") }
        #expect(throws: ConfigurationError.self) { try ConfigurationLoader.parse("archive: {time_zone: Mars/Olympus}\n") }
        #expect(throws: ConfigurationError.self) { try ConfigurationLoader.parse("archive: {}\nrules:\n  - name: a\n    actions:\n      - archive: {retention: 1h}\n") }
        let configuration = try? ConfigurationLoader.parse("state_directory: /srv/s\narchive: {retention: 365d, time_zone: Asia/Tokyo}\n")
        // Relative paths are under the state directory in force when the gateway starts
        // (sekishod --state-directory overrides the file's).
        #expect(configuration?.archive?.resolved(stateDirectory: "/srv/s").directory == "/srv/s/archive")
        #expect(configuration?.archive?.retentionDays == 365)
        #expect(configuration?.archive?.resolved(stateDirectory: "/srv/t").databasePath == "/srv/t/archive/sekisho/index.sqlite")
    }
}

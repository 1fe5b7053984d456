import Daemon
import Foundation
import MailMessage
import Outbound
import TestSupport
import Testing

/// Duplication through two real Postfix instances: rig A runs the gateway as its milter and
/// delivers the original to its sink; the copy goes to rig B (a second Postfix, no milter),
/// which delivers it to its own sink.
@Suite("Duplication through two Postfix instances", .serialized, .enabled(if: TestEnvironment.canRunPostfix || TestEnvironment.isCI))
struct DuplicateEndToEndTests {
    static let banner = "この メールは複製です。/ This is a disarmed copy."

    static func policy(copyPort: Int, reinjectionPort: Int, maximumDelay: String = "5s") -> String {
        """
        reinjection:
          relay: 127.0.0.1:\(reinjectionPort)
        duplicate:
          destinations:
            internal:
              relay: 127.0.0.1:\(copyPort)
              tls: none
              sender: keep
              retry: {initial_delay: 1s, maximum_delay: \(maximumDelay)}
              sanitize:
                attachments: risky
                strip_active_html: yes
                defang_urls: yes
                banner: "\(banner)"
        rules:
          - name: copy-everything
            actions:
              - duplicate: {to: internal}
        """
    }

    /// Starts rig B (the copy server, a Postfix), then rig A (Postfix, or Sendmail) with the
    /// gateway pointing copies at rig B.
    static func withTwoRigs(
        on kind: MailRigKind = .postfix, maximumDelay: String = "5s", logs: LogCapture = LogCapture(),
        _ body: (_ original: any MailRig, _ copy: PostfixRig) async throws -> Void
    ) async throws {
        guard TestEnvironment.canRunPostfix else { throw MissingComponent("root and the postfix package") }
        let copyRig = try await PostfixRig.start(milter: nil)
        do {
            try await GatewayOnMTA.run(on: kind, policy: { policy(copyPort: copyRig.smtpPort, reinjectionPort: $0, maximumDelay: maximumDelay) }, logs: logs) { original in
                try await body(original, copyRig)
            }
        } catch {
            await copyRig.stop()
            throw error
        }
        await copyRig.stop()
    }

    @Test func everyCorpusMessageWithAttachmentsReachesBothSinks() async throws {
        let withAttachments = Corpus.storedIDs.filter { id in
            ((Corpus.entry(id)["attachments"] as? [[String: Any]]) ?? []).contains { ($0["role"] as? String) == "attachment" }
        }
        #expect(withAttachments.count >= 30)
        try await Self.withTwoRigs { original, copy in
            try await Self.sendAndCheck(withAttachments, original: original, copy: copy)
        }
    }

    /// Sends each corpus message to rig A; checks the original at A's sink unchanged and the
    /// disarmed copy at B's, each exactly once (also run through Sendmail).
    static func sendAndCheck(_ ids: some Collection<String>, original: any MailRig, copy: PostfixRig) async throws {
        var sent = [String: [UInt8]]()
        for id in ids {
            let bytes = try Corpus.bytes(id)
            let reply = try await SMTPTestClient.send(port: original.smtpPort, from: "sender-\(id)@partner.example", to: ["rcpt-\(id)@corp.example"], message: bytes)
            #expect(reply == 250, "\(id): \(reply)")
            if reply == 250 { sent[id] = bytes }
        }
        let originals = try await GatewayOnMTA.waitForSink(original) { $0.count >= sent.count }
        let copies = try await GatewayOnMTA.waitForSink(copy) { $0.count >= sent.count }
        #expect(originals.count == sent.count)
        #expect(copies.count == sent.count, "copies: \(copies.count) of \(sent.count)")
        for (id, bytes) in sent.sorted(by: { $0.key < $1.key }) {
            let recipient = "rcpt-\(id)@corp.example"
            let delivered = originals.filter { $0.recipients == [recipient] }
            let copied = copies.filter { $0.recipients == [recipient] }
            #expect(delivered.count == 1, "\(id): \(delivered.count) originals")
            #expect(copied.count == 1, "\(id): \(copied.count) copies")
            if let delivered = delivered.first {
                DuplicateChecks.expectUnchanged(sent: bytes, sink: delivered.bytes, id: id)
            }
            if let copied = copied.first {
                #expect(copied.sender == "sender-\(id)@partner.example", "\(id): copy sender \(copied.sender)")
                try DuplicateChecks.expectDisarmed(sink: copied.bytes, id: id, banner: Self.banner)
            }
        }
    }

    /// MADAI writes body lines unstuffed: a lone "." ends its copy early. Here both arrive whole.
    @Test func loneDotLinesArriveIntactInBoth() async throws {
        try await Self.withTwoRigs { original, copy in
            let body = "first line\r\n.\r\n..\r\n.leading dot\r\n. \r\nlast line\r\n"
            let message = Array("From: <a@partner.example>\r\nTo: <b@corp.example>\r\nSubject: dots\r\nMessage-ID: <dots@partner.example>\r\nDate: Sun, 29 Nov 2026 12:00:00 +0900\r\n\r\n\(body)".utf8)
            #expect(try await SMTPTestClient.send(port: original.smtpPort, from: "a@partner.example", to: ["b@corp.example"], message: message) == 250)
            let originals = try await GatewayOnMTA.waitForSink(original) { $0.count >= 1 }
            let copies = try await GatewayOnMTA.waitForSink(copy) { $0.count >= 1 }
            for (name, messages) in [("original", originals), ("copy", copies)] {
                #expect(messages.count == 1, "\(name)")
                guard let text = messages.first.map({ DuplicateChecks.crlf($0.bytes) }).map({ String(decoding: $0, as: UTF8.self) }) else { continue }
                #expect(text.contains("first line\r\n.\r\n..\r\n.leading dot\r\n. \r\n"), "\(name): dot lines changed: \(text.debugDescription)")
                #expect(text.contains("last line"), "\(name): the message ended early")
            }
        }
    }

    /// The copy server is down for two minutes while 500 messages stream through: the originals
    /// are never held up, and afterwards every copy has arrived exactly once.
    @Test(.timeLimit(.minutes(10))) func copyServerDownForTwoMinutesLosesAndDoublesNothing() async throws {
        let logs = LogCapture()
        try await Self.withTwoRigs(maximumDelay: "5s", logs: logs) { original, copy in
            let run = "outage-\(UInt32.random(in: 0...UInt32.max))"
            let clock = ContinuousClock()
            let start = clock.now
            let outage = Outage(copy: copy)
            // 500 messages at ~4 per second from 4 clients (~125 s); the copy server stops
            // after 5 s and comes back 120 s later.
            let codes = try await withThrowingTaskGroup(of: [String: Int].self) { group in
                for client in 0..<4 {
                    group.addTask {
                        var codes = [String: Int]()
                        for index in 0..<125 {
                            let id = "\(run)-\(client)-\(index)"
                            let due = start + .milliseconds(index * 1000)
                            try await clock.sleep(until: due)
                            let message = Array("From: <a@partner.example>\r\nTo: <b@corp.example>\r\nSubject: \(id)\r\nMessage-ID: <\(id)@partner.example>\r\nDate: Sun, 29 Nov 2026 12:00:00 +0900\r\n\r\nstream \(id)\r\nhttps://example.com/\(id)\r\n".utf8)
                            codes[id] = (try? await SMTPTestClient.send(port: original.smtpPort, from: "a@partner.example", to: ["b@corp.example"], message: message)) ?? -1
                        }
                        return codes
                    }
                }
                group.addTask {
                    try await clock.sleep(until: start + .seconds(5))
                    try await outage.begin()
                    try await clock.sleep(until: start + .seconds(125))
                    try await outage.end()
                    return [:]
                }
                var all = [String: Int]()
                for try await codes in group { all.merge(codes) { first, _ in first } }
                return all
            }
            #expect(codes.count == 500)
            let refused = codes.filter { $0.value != 250 }
            #expect(refused.isEmpty, "the originals must not wait for the copy server: \(refused.prefix(5))")
            #expect(outage.lasted >= .seconds(115), "the outage was \(outage.lasted)")
            let originals = try await GatewayOnMTA.waitForSink(original) { $0.count >= 500 }
            let copies = try await GatewayOnMTA.waitForSink(copy) { $0.count >= 500 }
            try await Task.sleep(for: .seconds(3))  // anything doubled would show up now
            let counted = DuplicateChecks.countBySubject(GatewayOnMTA.sinkMessages(copy), prefix: run)
            #expect(originals.count == 500)
            #expect(copies.count >= 500)
            #expect(counted.count == 500, "copies arrived for \(counted.count) of 500")
            let doubled = counted.filter { $0.value > 1 }
            #expect(doubled.isEmpty, "copies doubled: \(doubled.prefix(5))")
            // The attempts during the outage were logged, each with the original's queue id.
            let deferred = logs.records(containing: "delivery deferred").filter { $0.metadata["outbound.destination"] == "internal" }
            #expect(!deferred.isEmpty)
            #expect(deferred.allSatisfy { ($0.metadata["mail.queue_id"] ?? "-").count >= 5 }, "\(deferred.prefix(2))")
        }
    }
}

/// Stops and restarts the copy server's Postfix, timing the outage.
final class Outage: @unchecked Sendable {
    let copy: PostfixRig
    private var began: ContinuousClock.Instant?
    private(set) var lasted = Duration.zero

    init(copy: PostfixRig) {
        self.copy = copy
    }

    func begin() async throws {
        try await copy.stopPostfix()
        began = ContinuousClock.now
    }

    func end() async throws {
        lasted = began.map { ContinuousClock.now - $0 } ?? .zero
        try await copy.startPostfix()
    }
}

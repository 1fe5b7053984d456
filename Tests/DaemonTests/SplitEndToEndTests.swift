import Daemon
import Foundation
import Logging
import Milter
import ServiceLifecycle
import TestSupport
import Testing

/// Through a real Postfix: a message to mixed recipients leaves as one message per treatment,
/// each recipient receiving exactly one copy with its treatment; split copies are reinjected
/// through the milter-free listener with a valid loop-guard stamp; a filter failure gives the
/// client 451 and Postfix keeps nothing.
@Suite("Split and reinjection through Postfix", .serialized, .enabled(if: TestEnvironment.canRunPostfix || TestEnvironment.isCI))
struct SplitEndToEndTests {
    static func policy(reinjectionPort: Int) -> String {
        """
        internal:
          domains: [corp.example]
          networks: [127.0.0.0/8]
        reinjection:
          relay: 127.0.0.1:\(reinjectionPort)
        rules:
          - name: external
            when: {direction: outbound}
            actions:
              - header: {name: X-Treatment, value: external}
          - name: internal
            when: {direction: internal}
            actions:
              - header: {name: X-Treatment, value: internal}
          - name: inbound
            when: {direction: inbound}
            actions:
              - header: {name: X-Treatment, value: inbound}
          - name: broken
            when: {subject_contains: ["[broken]"]}
            actions: [virus_scan]
        """
    }

    /// Runs a private Postfix whose smtpd uses a gateway started with the test policy.
    func withRig(_ body: (any MailRig) async throws -> Void) async throws {
        try await GatewayOnMTA.run(policy: Self.policy(reinjectionPort:), body)
    }

    func send(port: Int, from: String, to: [String], subject: String, extraHeaders: String = "") async throws -> (rcpt: [Int], end: Int?) {
        try await SMTPTestClient.withConnection(port: port) { client in
            _ = try await client.command("EHLO client.example.net")
            _ = try await client.command("MAIL FROM:<\(from)>")
            var codes = [Int]()
            for recipient in to { codes.append(try await client.command("RCPT TO:<\(recipient)>").code) }
            let message = extraHeaders + "From: <\(from)>\r\nTo: \(to.map { "<\($0)>" }.joined(separator: ", "))\r\nSubject: \(subject)\r\nMessage-ID: <\(subject)@corp.example>\r\n\r\nbody line\r\n.\r\nafter a dot line\r\n"
            let (_, end) = try await client.data(Array(message.utf8))
            await client.quit()
            return (codes, end?.code)
        }
    }

    /// Sink files containing `marker`, with the recipients smtp-sink recorded (X-Rcpt-Args).
    func delivered(_ rig: any MailRig, marker: String, expecting count: Int) async throws -> [(recipients: [String], text: String)] {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let files = rig.sinkFiles().compactMap { path -> String? in
                guard let text = try? String(contentsOfFile: path, encoding: .utf8), text.contains(marker) else { return nil }
                return text
            }
            if files.count >= count {
                try await Task.sleep(for: .seconds(2))  // nothing more may arrive
                let all = rig.sinkFiles().compactMap { try? String(contentsOfFile: $0, encoding: .utf8) }.filter { $0.contains(marker) }
                return all.map { text in
                    // "X-Rcpt-Args: <x@partner.example> ORCPT=rfc822;x@partner.example"
                    let recipients = text.split(separator: "\n").filter { $0.hasPrefix("X-Rcpt-Args:") }.map { line in
                        String(line.drop { $0 != "<" }.dropFirst().prefix { $0 != ">" })
                    }
                    return (recipients.sorted(), text)
                }
            }
            try await Task.sleep(for: .milliseconds(300))
        }
        return []
    }

    @Test("mixed recipients: one message per treatment, each recipient exactly once")
    func split() async throws {
        try await withRig { rig in
            let subject = "split-\(UInt32.random(in: 0...UInt32.max))"
            let sent = try await send(port: rig.smtpPort, from: "taro@corp.example", to: ["x@partner.example", "hanako@corp.example", "y@other.example"], subject: subject)
            #expect(sent.rcpt == [250, 250, 250])
            #expect(sent.end == 250)
            let messages = try await delivered(rig, marker: subject, expecting: 2)
            #expect(messages.count == 2, "\(messages.map(\.recipients))")
            let external = messages.first { $0.recipients == ["x@partner.example", "y@other.example"] }
            let internalCopy = messages.first { $0.recipients == ["hanako@corp.example"] }
            #expect(external?.text.contains("X-Treatment: external") == true)
            #expect(external?.text.contains("X-Sekisho-Loop") == false)
            #expect(internalCopy?.text.contains("X-Treatment: internal") == true)
            #expect(internalCopy?.text.contains("X-Sekisho-Loop: v=1;") == true)
            for message in messages {
                #expect(message.text.contains("\n.\r\nafter a dot line") || message.text.contains("\n.\nafter a dot line"))
            }
            let all = messages.flatMap(\.recipients).sorted()
            #expect(all == ["hanako@corp.example", "x@partner.example", "y@other.example"])
        }
    }

    @Test("a forged loop-guard header from outside is removed and the message processed")
    func forgedLoopGuard() async throws {
        try await withRig { rig in
            let subject = "forged-\(UInt32.random(in: 0...UInt32.max))"
            let forged = "X-Sekisho-Loop: v=1; t=\(Int(Date().timeIntervalSince1970)); mac=\(String(repeating: "0f", count: 32))\r\n"
            // The rig's smtpd sees every client as 127.0.0.1 (internal): XCLIENT is not needed
            // because an internal sender to an internal recipient is treated too.
            let sent = try await send(port: rig.smtpPort, from: "mallory@corp.example", to: ["hanako@corp.example"], subject: subject, extraHeaders: forged)
            #expect(sent.end == 250)
            let messages = try await delivered(rig, marker: subject, expecting: 1)
            #expect(messages.count == 1)
            #expect(messages.first?.text.contains("X-Sekisho-Loop") == false, "\(messages.first?.text ?? "")")
            #expect(messages.first?.text.contains("X-Treatment: internal") == true)
        }
    }

    @Test("a filter that fails gives the client 451; nothing is delivered")
    func failure() async throws {
        try await withRig { rig in
            let subject = "broken-\(UInt32.random(in: 0...UInt32.max)) [broken]"
            let sent = try await send(port: rig.smtpPort, from: "a@outside.example", to: ["hanako@corp.example"], subject: subject)
            #expect(sent.end == 451)
            try await Task.sleep(for: .seconds(2))
            #expect(rig.sinkFiles().compactMap { try? String(contentsOfFile: $0, encoding: .utf8) }.filter { $0.contains(subject) }.isEmpty)
        }
    }
}

import Foundation
import Logging
import NIOCore
import Outbound
import Synchronization
import TestSupport
import Testing

/// The client against a scripted server on loopback: AUTH, HELO-only servers, limits, timeouts,
/// injected STARTTLS data, RFC 2920 corner cases.
@Suite("SMTP client against a scripted server")
struct SMTPClientScriptedTests {
    static func client(
        credentials: SMTPCredentials? = nil,
        plaintextAuth: Bool = false,
        timeouts: SMTPTimeouts = SMTPTimeouts(all: .seconds(20)),
        logs: LogCapture = LogCapture()
    ) throws -> SMTPClient {
        try SMTPClient(
            configuration: SMTPClientConfiguration(
                heloName: "client.test", timeouts: timeouts, credentials: credentials, allowsPlaintextAuthentication: plaintextAuth
            ),
            logger: logs.logger(label: "smtp")
        )
    }

    static func relay(_ server: ScriptedSMTPServer, tls: StartTLSMode = .none) -> SMTPRelay {
        SMTPRelay(host: "127.0.0.1", port: server.port, tls: SMTPTLSSettings(mode: tls))
    }

    static func message(_ text: String = "Subject: t\n\nhello\n", to recipients: [String] = ["b@example.org"]) -> OutboundMessage {
        OutboundMessage(sender: address("a@example.com"), recipients: recipients.map(address), bytes: Array(text.utf8))
    }

    @Test("PIPELINING: MAIL, RCPT and DATA leave in one write (the server answers only after DATA)")
    func pipelining() async throws {
        let held = Mutex<[String]>([])
        try await ScriptedSMTPServer.withServer(respond: { event in
            guard case .command(let line) = event else { return standardReply(event) }
            if line.hasPrefix("MAIL") || line.hasPrefix("RCPT") {
                held.withLock { $0.append("250 2.1.0 Ok") }
                return nil
            }
            if line == "DATA" {
                let replies = held.withLock { replies in
                    defer { replies = [] }
                    return replies
                }
                return (replies + ["354 go"]).joined(separator: "\r\n")
            }
            return standardReply(event)
        }) { server in
            let result = try await Self.client(timeouts: SMTPTimeouts(all: .seconds(30))).withSession(to: Self.relay(server)) { session in
                try await session.send(Self.message(to: ["b@example.org", "c@example.org"]))
            }
            #expect(result.delivered.count == 2)
            #expect(server.commands.prefix(5) == ["EHLO client.test", "MAIL FROM:<a@example.com> SIZE=21", "RCPT TO:<b@example.org>", "RCPT TO:<c@example.org>", "DATA"])
        }
    }

    @Test("dot-stuffing on the wire, and RSET between messages on one connection")
    func reuseAndStuffing() async throws {
        try await ScriptedSMTPServer.withServer(respond: { standardReply($0) }) { server in
            let results = try await Self.client().withSession(to: Self.relay(server)) { session in
                var results: [TransactionResult] = []
                for index in 0..<3 {
                    results.append(try await session.send(Self.message("Subject: \(index)\n\n.\n..\n.x\nend")))
                }
                #expect(session.transactionCount == 3)
                return results
            }
            #expect(results.allSatisfy { $0.delivered.count == 1 })
            #expect(server.connections == 1)
            #expect(server.commands.filter { $0 == "RSET" }.count == 2)
            #expect(server.messages == Array(repeating: "", count: 3).enumerated().map { "Subject: \($0.offset)\r\n\r\n..\r\n...\r\n..x\r\nend\r\n" })
            #expect(server.commands.last == "QUIT")
        }
    }

    @Test("RSET refused with 5xx: the session ends with a transient error in RSET; with PIPELINING the RSET leads MAIL, RCPT and DATA in one write, and the content is never sent")
    func resetRefused() async throws {
        for pipelining in [true, false] {
        try await ScriptedSMTPServer.withServer(respond: { event in
            if case .command("RSET") = event { return "554 5.5.1 no more" }
            return standardReply(event, keywords: pipelining ? ["PIPELINING", "8BITMIME"] : ["8BITMIME"])
        }) { server in
            try await Self.client().withSession(to: Self.relay(server)) { session in
                let first = try await session.send(Self.message())
                #expect(first.delivered.count == 1)
                do throws(SMTPClientError) {
                    _ = try await session.send(Self.message())
                    Issue.record("expected the RSET refusal")
                } catch {
                    #expect(error.phase == .reset && error.isTransient && error.response?.code == 554, "\(error)")
                }
            }
            // Pipelined: RSET, MAIL, RCPT, DATA went out together; the refused RSET broke the
            // session before a byte of the second message's content. Without PIPELINING the
            // RSET went alone.
            #expect(server.commands.filter { $0 == "RSET" }.count == 1)
            #expect(server.commands.filter { $0.hasPrefix("MAIL") }.count == (pipelining ? 2 : 1))
            #expect(server.messages.count == 1, "only the first message's content reached the server")
        }
        }
    }

    @Test("a message file that cannot be opened fails before MAIL, and the session stays usable")
    func missingFile() async throws {
        try await ScriptedSMTPServer.withServer(respond: { standardReply($0) }) { server in
            try await Self.client().withSession(to: Self.relay(server)) { session in
                let missing = OutboundMessage(
                    sender: address("a@example.com"), recipients: [address("b@example.org")], body: .file(path: "/nonexistent/message.eml"),
                    properties: MessageProperties(size: 10, hasEightBitBytes: false)
                )
                do throws(SMTPClientError) {
                    _ = try await session.send(missing)
                    Issue.record("expected messageUnreadable")
                } catch {
                    #expect(error.code == .messageUnreadable && error.phase == .mail && error.isTransient, "\(error)")
                }
                let next = try await session.send(Self.message())
                #expect(next.delivered.count == 1)
            }
            #expect(server.commands.filter { $0.hasPrefix("MAIL") }.count == 1, "no transaction for the missing file")
            #expect(server.messages.count == 1)
        }
    }

    @Test("EHLO refused: HELO; 7-bit mail goes through, 8-bit mail fails permanently without a byte sent")
    func heloOnly() async throws {
        try await ScriptedSMTPServer.withServer(respond: { event in
            if case .command(let line) = event, line.hasPrefix("EHLO") { return "500 5.5.1 unknown command" }
            return standardReply(event)
        }) { server in
            let (plain, eightBit) = try await Self.client().withSession(to: Self.relay(server)) { session in
                #expect(session.capabilities == .none)
                let plain = try await session.send(Self.message())
                let eightBit = try await session.send(Self.message("Subject: x\n\nGrüße\n"))
                return (plain, eightBit)
            }
            #expect(plain.delivered.count == 1)
            let error = try #require(eightBit.failed.first?.error)
            #expect(error.code == .eightBitUnsupported && !error.isTransient)
            #expect(error.enhancedCode.description == "5.6.3")
            #expect(server.commands.contains("HELO client.test"))
            #expect(server.commands.filter { $0.hasPrefix("MAIL") } == ["MAIL FROM:<a@example.com>"])
        }
    }

    @Test("SIZE: a message over the server's limit is refused before MAIL")
    func sizeLimit() async throws {
        try await ScriptedSMTPServer.withServer(respond: { standardReply($0, keywords: ["PIPELINING", "SIZE 1000"]) }) { server in
            let result = try await Self.client().withSession(to: Self.relay(server)) { session in
                try await session.send(Self.message("Subject: big\n\n" + String(repeating: "x", count: 5000) + "\n"))
            }
            #expect(result.failed.first?.error?.code == .messageTooLarge)
            #expect(!server.commands.contains { $0.hasPrefix("MAIL") })
        }
    }

    @Test("SMTPUTF8: declared for a non-ASCII address when offered, refused when not")
    func smtpUTF8() async throws {
        try await ScriptedSMTPServer.withServer(respond: { standardReply($0, keywords: ["8BITMIME", "SMTPUTF8"]) }) { server in
            let result = try await Self.client().withSession(to: Self.relay(server)) { session in
                try await session.send(Self.message(to: ["jürgen@bücher.example"]))
            }
            #expect(result.delivered.count == 1)
            #expect(server.commands.contains("MAIL FROM:<a@example.com> SMTPUTF8"))
            #expect(server.commands.contains("RCPT TO:<jürgen@bücher.example>"))
        }
        try await ScriptedSMTPServer.withServer(respond: { standardReply($0) }) { server in
            let result = try await Self.client().withSession(to: Self.relay(server)) { session in
                try await session.send(Self.message(to: ["jürgen@bücher.example"]))
            }
            #expect(result.failed.first?.error?.code == .smtpUTF8Unsupported)
        }
    }

    @Test("RFC 2920: no recipient accepted but DATA got 354, so only the final dot is sent")
    func dataWithoutRecipients() async throws {
        try await ScriptedSMTPServer.withServer(respond: { event in
            if case .command(let line) = event, line.hasPrefix("RCPT") { return "550 5.1.1 unknown" }
            if case .message = event { return "554 5.5.1 Error: no valid recipients" }
            return standardReply(event)
        }) { server in
            let result = try await Self.client().withSession(to: Self.relay(server)) { session in
                try await session.send(Self.message())
            }
            #expect(result.failed.first?.error?.response?.code == 550)
            #expect(server.messages == [""])
        }
    }

    @Test("AUTH PLAIN and LOGIN when plaintext AUTH is allowed; secrets never logged", arguments: ["PLAIN", "LOGIN"])
    func authentication(mechanism: String) async throws {
        let logs = LogCapture()
        try await ScriptedSMTPServer.withServer(respond: { event in
            guard case .command(let line) = event else { return standardReply(event) }
            switch line {
            case "AUTH PLAIN AHVzZXIAczNjcmV0": return "235 2.7.0 Authentication successful"
            case "AUTH LOGIN": return "334 VXNlcm5hbWU6"
            case "dXNlcg==": return "334 UGFzc3dvcmQ6"
            case "czNjcmV0": return "235 2.7.0 Authentication successful"
            case _ where line.hasPrefix("AUTH"): return "535 5.7.8 Error: authentication failed"
            default: return standardReply(event, keywords: ["PIPELINING", "AUTH \(mechanism)"])
            }
        }) { server in
            let client = try Self.client(credentials: SMTPCredentials(username: "user", password: "s3cret"), plaintextAuth: true, logs: logs)
            let result = try await client.withSession(to: Self.relay(server)) { session in try await session.send(Self.message()) }
            #expect(result.delivered.count == 1)
            #expect(server.commands.contains { $0.hasPrefix("AUTH \(mechanism)") })
        }
        #expect(!logs.records.isEmpty)
        #expect(!logs.records.contains { "\($0)".contains("s3cret") || "\($0)".contains("czNjcmV0") || "\($0)".contains("AHVzZXIAczNjcmV0") })
    }

    @Test("AUTH: refused credentials, and never over plaintext unless allowed")
    func authenticationRefusals() async throws {
        try await ScriptedSMTPServer.withServer(respond: { event in
            if case .command(let line) = event, line.hasPrefix("AUTH") { return "535 5.7.8 Error: authentication failed" }
            return standardReply(event, keywords: ["AUTH PLAIN LOGIN"])
        }) { server in
            let credentials = SMTPCredentials(username: "user", password: "wrong")
            await #expect(throws: SMTPClientError.self) {
                try await Self.client(credentials: credentials, plaintextAuth: true).withSession(to: Self.relay(server)) { _ in }
            }
            do {
                try await Self.client(credentials: credentials).withSession(to: Self.relay(server)) { _ in }
                Issue.record("AUTH without TLS must be refused")
            } catch let error as SMTPClientError {
                #expect(error.code == .authenticationRequiresTLS)
            }
            #expect(server.commands.filter { $0.hasPrefix("AUTH") }.count == 1, "only the allowed session sent AUTH")
        }
    }

    @Test("STARTTLS required but not offered: a transient failure, QUIT sent")
    func tlsRequiredNotOffered() async throws {
        try await ScriptedSMTPServer.withServer(respond: { standardReply($0) }) { server in
            do {
                try await Self.client().withSession(to: Self.relay(server, tls: .required)) { _ in }
                Issue.record("expected a failure")
            } catch let error as SMTPClientError {
                #expect(error.code == .tlsUnavailable && error.isTransient)
            }
            #expect(server.commands == ["EHLO client.test", "QUIT"])
        }
    }

    /// A server that offers STARTTLS, says `220` to it and never speaks TLS; a TLS ClientHello
    /// (binary, not a command) gets no answer.
    static func startTLSServer(_ event: ScriptedSMTPServer.Event) -> String? {
        guard case .command(let line) = event else { return standardReply(event) }
        if line == "STARTTLS" { return "220 2.0.0 go" }
        guard line.unicodeScalars.allSatisfy({ (0x20..<0x7F).contains($0.value) }) else { return nil }
        return standardReply(event, keywords: ["PIPELINING", "STARTTLS"])
    }

    static func expectViolation(at phase: SMTPPhase, _ body: () async throws -> Void) async throws {
        do {
            try await body()
            Issue.record("expected a protocol violation")
        } catch let error as SMTPClientError {
            #expect(error.code == .protocolViolation && error.phase == phase && error.isTransient, "\(error)")
        }
    }

    @Test("data behind the STARTTLS reply in the same read (response injection) ends the session")
    func startTLSInjection() async throws {
        try await ScriptedSMTPServer.withServer(respond: { event in
            if case .command("STARTTLS") = event { return "220 2.0.0 Ready\r\n250 injected" }
            return standardReply(event, keywords: ["STARTTLS"])
        }) { server in
            try await Self.expectViolation(at: .startTLS) {
                try await Self.client().withSession(to: Self.relay(server, tls: .required)) { _ in }
            }
        }
    }

    @Test("plaintext that arrives after the STARTTLS reply, in a later write, ends the session", arguments: [StartTLSMode.required, .opportunistic])
    func startTLSInjectionLater(mode: StartTLSMode) async throws {
        let logs = LogCapture()
        try await ScriptedSMTPServer.withServer(respond: Self.startTLSServer, followUp: { event in
            // `220 go` first, then, separately and a little later, a reply that must never be
            // taken as the answer to the encrypted EHLO.
            event == .command("STARTTLS") ? [.writeLater("250 injected"), .ignoreRest] : []
        }) { server in
            try await Self.expectViolation(at: .startTLS) {
                try await Self.client(logs: logs).withSession(to: Self.relay(server, tls: mode)) { _ -> Void in
                    Issue.record("a session must not open")
                }
            }
            #expect(server.connections == 1, "an injection is never a reason to retry in plaintext")
            let afterStartTLS = server.commands.drop { $0 != "STARTTLS" }.dropFirst()
            #expect(!afterStartTLS.contains { $0.hasPrefix("EHLO") || $0.hasPrefix("MAIL") || $0.hasPrefix("AUTH") })
        }
        #expect(logs.records(containing: "retrying without TLS").isEmpty)
    }

    @Test("a reply nobody asked for, waiting before STARTTLS, ends the session before STARTTLS is sent")
    func unsolicitedReplyBeforeStartTLS() async throws {
        try await ScriptedSMTPServer.withServer(respond: { event in
            if case .command(let line) = event, line.hasPrefix("EHLO") {
                return "250-scripted.test\r\n250 STARTTLS\r\n220 2.0.0 fake go-ahead\r\n250 fake EHLO"
            }
            return Self.startTLSServer(event)
        }) { server in
            try await Self.expectViolation(at: .startTLS) {
                try await Self.client().withSession(to: Self.relay(server, tls: .required)) { _ in }
            }
            #expect(!server.commands.contains("STARTTLS"))
        }
    }

    @Test("opportunistic: a handshake that fails at the protocol level is retried once in plaintext", arguments: [
        // The connection closed after `220`; a TLS alert (fatal, handshake_failure) as the answer to the ClientHello.
        [ScriptedSMTPServer.FollowUp.close], [.writeOnNextData([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28]), .ignoreRest],
    ])
    func opportunisticFallback(failure: [ScriptedSMTPServer.FollowUp]) async throws {
        let logs = LogCapture()
        try await ScriptedSMTPServer.withServer(respond: Self.startTLSServer, followUp: { event in
            event == .command("STARTTLS") ? failure : []
        }) { server in
            let result = try await Self.client(logs: logs).withSession(to: Self.relay(server, tls: .opportunistic)) { session in
                #expect(!session.isEncrypted)
                #expect(session.relay.tls.mode == .none)
                return try await session.send(Self.message())
            }
            #expect(result.delivered.count == 1)
            #expect(server.connections == 2)
            #expect(server.commands.filter { $0 == "STARTTLS" }.count == 1)
        }
        let warning = try #require(logs.records(containing: "retrying without TLS").first)
        #expect(warning.level == .warning)
    }

    @Test("opportunistic: a handshake timeout is retried once in plaintext")
    func handshakeTimeout() async throws {
        // The server answers STARTTLS with 220 and then never speaks TLS. The command limit also
        // covers EHLO, so it stays generous for a busy machine: the test waits it out once.
        var timeouts = SMTPTimeouts(all: .seconds(30))
        timeouts.command = .seconds(5)
        try await ScriptedSMTPServer.withServer(respond: Self.startTLSServer, followUp: { event in
            event == .command("STARTTLS") ? [.ignoreRest] : []
        }) { server in
            let encrypted = try await Self.client(timeouts: timeouts).withSession(to: Self.relay(server, tls: .opportunistic)) { $0.isEncrypted }
            #expect(!encrypted)
            #expect(server.connections == 2)
        }
    }

    @Test("a TLS configuration error (unreadable trust roots) is reported as such, never a plaintext downgrade", arguments: [
        StartTLSMode.opportunistic, .required,
    ])
    func tlsConfigurationError(mode: StartTLSMode) async throws {
        let logs = LogCapture()
        let directory = try TemporaryDirectory("sekisho-tls-config")
        defer { directory.remove() }
        let notPEM = "\(directory.path)/not-a-certificate.pem"
        try Data("not a certificate\n".utf8).write(to: URL(fileURLWithPath: notPEM))
        try await ScriptedSMTPServer.withServer(respond: Self.startTLSServer) { server in
            for path in ["\(directory.path)/missing.pem", notPEM] {
                let tls = SMTPTLSSettings(mode: mode, trustRoots: .pemFile(path))
                do {
                    try await Self.client(logs: logs).withSession(to: SMTPRelay(host: "127.0.0.1", port: server.port, tls: tls)) { _ -> Void in
                        Issue.record("no session with a broken TLS configuration")
                    }
                    Issue.record("expected a configuration error")
                } catch let error as SMTPClientError {
                    #expect(error.code == .tlsConfiguration && error.isTransient, "\(error)")
                    #expect(error.enhancedCode.description == "4.7.0")
                }
            }
            #expect(server.connections == 0, "nothing is sent, in plaintext or otherwise")
        }
        #expect(logs.records(containing: "retrying without TLS").isEmpty)
    }

    @Test("timeouts: a silent greeting, a verdict that never comes")
    func timeouts() async throws {
        try await ScriptedSMTPServer.withServer(greeting: nil, respond: { standardReply($0) }) { server in
            do {
                var timeouts = SMTPTimeouts(all: .milliseconds(300))
                timeouts.connect = .seconds(20)
                try await Self.client(timeouts: timeouts).withSession(to: Self.relay(server)) { _ in }
                Issue.record("expected a timeout")
            } catch let error as SMTPClientError {
                #expect(error.code == .timeout && error.phase == .greeting && error.isTransient, "\(error)")
            }
        }
        try await ScriptedSMTPServer.withServer(respond: { event in
            if case .message = event { return nil }
            return standardReply(event)
        }) { server in
            var timeouts = SMTPTimeouts(all: .seconds(20))
            timeouts.dataTermination = .milliseconds(300)
            try await Self.client(timeouts: timeouts).withSession(to: Self.relay(server)) { session in
                do throws(SMTPClientError) {
                    _ = try await session.send(Self.message())
                    Issue.record("expected a timeout")
                } catch {
                    #expect(error.code == .timeout && error.phase == .endOfData, "\(error)")
                }
                await #expect(throws: SMTPClientError.self, "the session is broken") { try await session.send(Self.message()) }
            }
        }
    }

    @Test("QUIT waits 5 s at most, not the command timeout, for a server that never answers it", .timeLimit(.minutes(1)))
    func quitTimeout() async throws {
        #expect(SMTPTimeouts().limit(for: .quit) == .seconds(5))
        #expect(SMTPTimeouts().limit(for: .reset) == .seconds(300))
        #expect(SMTPTimeouts(all: .seconds(60)).limit(for: .quit) == .seconds(5))
        #expect(SMTPTimeouts(all: .seconds(1)).limit(for: .quit) == .seconds(1))
        try await ScriptedSMTPServer.withServer(respond: { event in
            if case .command("QUIT") = event { return nil }
            return standardReply(event)
        }) { server in
            // The command limit (10 min) is far beyond the test's time limit (1 min): the session
            // ends in time only because QUIT has its own short limit.
            var timeouts = SMTPTimeouts(all: .seconds(600))
            timeouts.quit = .milliseconds(200)
            let result = try await Self.client(timeouts: timeouts).withSession(to: Self.relay(server)) { session in
                try await session.send(Self.message())
            }
            #expect(result.delivered.count == 1)
            #expect(server.commands.last == "QUIT")
        }
    }

    @Test("a connection refused is a transient connect failure")
    func connectionRefused() async throws {
        let port = FreePort.next()
        do {
            try await Self.client().withSession(to: SMTPRelay(host: "127.0.0.1", port: port, tls: SMTPTLSSettings(mode: .none))) { _ in }
            Issue.record("expected a failure")
        } catch let error as SMTPClientError {
            #expect(error.code == .connectionFailed && error.isTransient)
            #expect(error.enhancedCode.description == "4.4.1")
        }
    }

    @Test("garbage from the server is a protocol violation")
    func garbage() async throws {
        try await ScriptedSMTPServer.withServer(greeting: "HTTP/1.1 400 Bad Request", respond: { standardReply($0) }) { server in
            do {
                try await Self.client().withSession(to: Self.relay(server)) { _ in }
                Issue.record("expected a failure")
            } catch let error as SMTPClientError {
                #expect(error.code == .protocolViolation)
            }
        }
    }
}

import Foundation
import Milter
import NIOCore
import TestSupport
import Testing

/// What the SMTP client saw in one session.
struct SMTPConversation {
    var replies: [String: SMTPTestReply] = [:]
    var recipients: [SMTPTestReply] = []
}

/// One SMTP session to the rig's milter-protected smtpd.
func smtpSend(
    port: Int,
    from: String,
    to: [String],
    subject: String,
    headers: [String] = [],
    body: String = "Hello from the end-to-end test.\n",
    helo: String = "client.example.net",
    clientAddress: String? = nil
) async throws -> SMTPConversation {
    try await SMTPTestClient.withConnection(port: port, from: clientAddress) { client in
        var conversation = SMTPConversation()
        conversation.replies["greeting"] = client.greeting
        guard client.greeting?.code == 220 else { return conversation }
        conversation.replies["ehlo"] = try await client.command("EHLO \(helo)")
        let mail = try await client.command("MAIL FROM:<\(from)>")
        conversation.replies["mail"] = mail
        guard mail.code == 250 else {
            await client.quit()
            return conversation
        }
        for recipient in to {
            conversation.recipients.append(try await client.command("RCPT TO:<\(recipient)>"))
        }
        var message = "From: <\(from)>\nTo: \(to.map { "<\($0)>" }.joined(separator: ", "))\nSubject: \(subject)\nMessage-ID: <\(subject)@sekisho.test>\n"
        for header in headers { message += header + "\n" }
        message += "\n" + body
        let (data, end) = try await client.data(Array(message.utf8))
        conversation.replies["data"] = data
        conversation.replies["end"] = end
        await client.quit()
        return conversation
    }
}

func marker(_ name: String) -> String { "e2e-\(name)-\(UInt32.random(in: 0...UInt32.max))" }

/// The Milter library's end-to-end cases, run through each real MTA by the suite below; where
/// the MTAs differ (``MTA``), each is held to its own rules.
enum MilterEndToEnd {
    static func accept(_ fixture: MTAFixture) async throws {
        let subject = marker("accept")
        let conversation = try await smtpSend(port: fixture.rig.smtpPort, from: "a@example.com", to: ["b@example.org"], subject: subject, body: "line one\n.\n..two dots\nlast\n")
        #expect(conversation.replies["end"]?.code == 250)
        let delivered = try #require(await fixture.rig.deliveredMessage(containing: subject, timeout: 30))
        #expect(delivered.contains("X-Sekisho-Test: ok "))
        #expect(!delivered.contains("no-queue-id"), "the queue id macro reached the filter")
        #expect(delivered.hasSuffix("\n\nline one\n.\n..two dots\nlast\n"))
    }

    static let stageRejections: [(String, String, [String], [String], String?, String, Int)] = [
        // name, sender, recipients, extra headers, client address/HELO, step, expected code
        // (a 550 after DATA is Postfix's: Sendmail says 554). A connect-stage reject is the
        // greeting (554); a tempfail keeps the 220 greeting and refuses MAIL with 451.
        ("connect reject", "a@example.com", ["b@example.org"], [], "127.0.0.10", "greeting", 554),
        ("connect tempfail", "a@example.com", ["b@example.org"], [], "127.0.0.11", "mail", 451),
        ("helo reject", "a@example.com", ["b@example.org"], [], "HELO reject.helo.test", "mail", 550),
        ("helo tempfail", "a@example.com", ["b@example.org"], [], "HELO tempfail.helo.test", "mail", 451),
        ("mail reject", "reject-mail@example.com", ["b@example.org"], [], nil, "mail", 550),
        ("mail tempfail", "tempfail-mail@example.com", ["b@example.org"], [], nil, "mail", 451),
        ("mail custom 4xx", "reply-mail@example.com", ["b@example.org"], [], nil, "mail", 451),
        ("rcpt reject", "a@example.com", ["reject-rcpt@example.org"], [], nil, "rcpt", 550),
        ("rcpt tempfail", "a@example.com", ["tempfail-rcpt@example.org"], [], nil, "rcpt", 451),
        ("data reject", "reject-data@example.com", ["b@example.org"], [], nil, "data", 550),
        ("header reject", "a@example.com", ["b@example.org"], ["X-Test-Reject: header"], nil, "end", 550),
        ("header tempfail", "a@example.com", ["b@example.org"], ["X-Test-Tempfail: header"], nil, "end", 451),
        ("eoh reject", "a@example.com", ["b@example.org"], ["X-Test-Action: reject-eoh"], nil, "end", 550),
        ("body reject", "a@example.com", ["b@example.org"], [], nil, "end", 550),
        ("eom reject", "a@example.com", ["b@example.org"], ["X-Test-Action: reject"], nil, "end", 550),
        ("eom tempfail", "a@example.com", ["b@example.org"], ["X-Test-Action: tempfail"], nil, "end", 451),
    ]

    static func stageRejection(_ fixture: MTAFixture, _ row: (String, String, [String], [String], String?, String, Int)) async throws {
        var (name, from, to, headers, special, step, code) = row
        if code == 550, step == "end" { code = fixture.mta.rejectAfterData }
        let subject = marker(name.replacingOccurrences(of: " ", with: "-"))
        var helo = "client.example.net"
        var clientAddress: String?
        if let special {
            if special.hasPrefix("HELO ") { helo = String(special.dropFirst(5)) } else { clientAddress = special }
        }
        let body = name == "body reject" ? "text\nREJECT-IN-BODY\n" : "text\n"
        let conversation = try await smtpSend(
            port: fixture.rig.smtpPort, from: from, to: to, subject: subject, headers: headers, body: body, helo: helo, clientAddress: clientAddress
        )
        let reply = step == "rcpt" ? conversation.recipients.first : conversation.replies[step]
        #expect(reply?.code == code, "\(name): \(step) got \(reply.map(\.description) ?? "nothing"); \(conversation.replies)")
        if step == "end" || step == "rcpt" {
            #expect(fixture.rig.sinkFile(containing: subject) == nil, "\(name): nothing delivered")
        }
    }

    static func multiLineReply(_ fixture: MTAFixture) async throws {
        let conversation = try await smtpSend(port: fixture.rig.smtpPort, from: "multiline@example.com", to: ["b@example.org"], subject: marker("multi"))
        let reply = try #require(conversation.replies["mail"])
        #expect(reply.lines == [
            fixture.mta.refusal("550-5.7.1 first line of three", address: "multiline@example.com"), "550-5.7.1 100% sure, second", "550 5.7.1 third and last",
        ])
    }

    static func endOfMessageReply(_ fixture: MTAFixture) async throws {
        let conversation = try await smtpSend(port: fixture.rig.smtpPort, from: "a@example.com", to: ["b@example.org"], subject: marker("eomreply"), headers: ["X-Test-Action: reply"])
        #expect(conversation.replies["end"]?.lines == ["554-5.7.0 rejected at end of message", "554 5.7.0 by the rig filter"])
    }

    static func discard(_ fixture: MTAFixture) async throws {
        let subject = marker("discard")
        let conversation = try await smtpSend(port: fixture.rig.smtpPort, from: "a@example.com", to: ["b@example.org"], subject: subject, headers: ["X-Test-Action: discard"])
        #expect(conversation.replies["end"]?.code == 250)
        #expect(await fixture.rig.waitForQueue(timeout: 30))
        try await Task.sleep(for: .milliseconds(500))
        #expect(fixture.rig.sinkFile(containing: subject) == nil)
        #expect(fixture.rig.log.contains(fixture.mta == .postfix ? "milter-discard" : "discard"))
    }

    static func headerModifications(_ fixture: MTAFixture) async throws {
        let subject = marker("headers")
        let conversation = try await smtpSend(
            port: fixture.rig.smtpPort, from: "a@example.com", to: ["b@example.org"], subject: subject,
            headers: ["X-Test-Action: headers", "X-Delete-Me: gone", "X-Multi: first", "X-Multi: second"]
        )
        #expect(conversation.replies["end"]?.code == 250)
        let delivered = try #require(await fixture.rig.deliveredMessage(containing: "X-Test-Action: headers", timeout: 30))
        let headerBlock = delivered.components(separatedBy: "\n\n")[0]
        let lines = headerBlock.components(separatedBy: "\n")
        #expect(lines.first == "X-Inserted: at the top", "inserted above the MTA's Received: \(lines.prefix(3))")
        #expect(lines.contains("X-Added: added at end"))
        #expect(lines.contains("Subject: changed subject"))
        #expect(!lines.contains("Subject: \(subject)"))
        #expect(!headerBlock.contains("X-Delete-Me"))
        #expect(lines.contains("X-Multi: first") && lines.contains("X-Multi: second changed"))
        #expect(headerBlock.contains("X-Folded: line one\n\tline two"))
    }

    static func bigBodyReplacement(_ fixture: MTAFixture) async throws {
        let subject = marker("bigbody")
        let conversation = try await smtpSend(port: fixture.rig.smtpPort, from: "a@example.com", to: ["b@example.org"], subject: subject, headers: ["X-Test-Action: big-body"])
        #expect(conversation.replies["end"]?.code == 250)
        let delivered = try #require(await fixture.rig.deliveredMessage(containing: subject, timeout: 30))
        let separator = try #require(delivered.range(of: "\n\n"))
        let body = delivered[separator.upperBound...]
        let expected = String(decoding: RigFilter.bigBody.readableBytesView, as: UTF8.self).replacingOccurrences(of: "\r\n", with: "\n")
        #expect(String(body) == expected, "delivered body \(body.utf8.count) bytes, expected \(expected.utf8.count)")
    }

    static func recipients(_ fixture: MTAFixture) async throws {
        let addedSubject = marker("addrcpt")
        let added = try await smtpSend(port: fixture.rig.smtpPort, from: "a@example.com", to: ["b@example.org"], subject: addedSubject, headers: ["X-Test-Action: add-rcpt"])
        #expect(added.replies["end"]?.code == 250)
        let removedSubject = marker("delrcpt")
        let removed = try await smtpSend(port: fixture.rig.smtpPort, from: "a@example.com", to: ["kept@example.org", "removed@example.org"], subject: removedSubject, headers: ["X-Test-Action: del-rcpt"])
        #expect(removed.replies["end"]?.code == 250)
        // What the sink was given in RCPT TO (smtp-sink's X-Rcpt-Args), over every delivery.
        let addedTo = await sinkRecipients(fixture, containing: addedSubject, expecting: 3)
        #expect(addedTo == ["added-par@example.org", "added@example.org", "b@example.org"])
        let removedTo = await sinkRecipients(fixture, containing: removedSubject, expecting: 1)
        #expect(removedTo == ["kept@example.org"])
    }

    static func changeSender(_ fixture: MTAFixture) async throws {
        let subject = marker("chgfrom")
        let conversation = try await smtpSend(port: fixture.rig.smtpPort, from: "original@example.com", to: ["b@example.org"], subject: subject, headers: ["X-Test-Action: chg-from"])
        #expect(conversation.replies["end"]?.code == 250)
        _ = await fixture.rig.deliveredMessage(containing: subject, timeout: 30)
        let file = try #require(fixture.rig.sinkFile(containing: subject))
        #expect(file.contains("X-Mail-Args: <changed@example.com>"), "\(file.prefix(300))")
    }

    static func quarantine(_ fixture: MTAFixture) async throws {
        let before = quarantined(fixture)
        let subject = marker("hold")
        let conversation = try await smtpSend(port: fixture.rig.smtpPort, from: "a@example.com", to: ["b@example.org"], subject: subject, headers: ["X-Test-Action: quarantine"])
        #expect(conversation.replies["end"]?.code == 250)
        #expect(await fixture.rig.waitForQueue(timeout: 30))
        #expect(quarantined(fixture) == before + 1, "Postfix's hold queue, Sendmail's hf file")
        #expect(fixture.rig.sinkFile(containing: subject) == nil)
        #expect(fixture.rig.log.contains(fixture.mta == .postfix ? "milter-hold: END-OF-MESSAGE" : "quarantine=held by the rig filter"))
    }

    private static func quarantined(_ fixture: MTAFixture) -> Int {
        switch fixture.rig {
        case let postfix as PostfixRig: postfix.queueCount(["hold"])
        case let sendmail as SendmailRig: sendmail.quarantinedCount()
        default: -1
        }
    }

    /// The recipients smtp-sink was given for messages containing `marker`, sorted, once at
    /// least `count` arrived (or after 60 s).
    private static func sinkRecipients(_ fixture: MTAFixture, containing marker: String, expecting count: Int) async -> [String] {
        var found: [String] = []
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            _ = await fixture.rig.waitForQueue(timeout: max(1, deadline.timeIntervalSinceNow))
            found = fixture.rig.sinkFiles().compactMap { try? String(contentsOfFile: $0, encoding: .utf8) }.filter { $0.contains(marker) }.flatMap { text in
                text.split(separator: "\n").filter { $0.hasPrefix("X-Rcpt-Args: <") }.map { line in
                    String(line.dropFirst("X-Rcpt-Args: <".count).prefix { $0 != ">" })
                }
            }.sorted()
            if found.count >= count { break }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return found
    }

    static func twentyMessages(_ fixture: MTAFixture) async throws {
        let base = marker("twenty")
        try await SMTPTestClient.withConnection(port: fixture.rig.smtpPort) { client in
            #expect(try await client.command("EHLO client.example.net").code == 250)
            for number in 1...20 {
                #expect(try await client.command("MAIL FROM:<a@example.com>").code == 250)
                #expect(try await client.command("RCPT TO:<b@example.org>").code == 250)
                let message = "Subject: \(base)-\(number)\nMessage-ID: <\(base)-\(number)@sekisho.test>\n\nmessage \(number)\n"
                let (_, end) = try await client.data(Array(message.utf8))
                #expect(end?.code == 250, "message \(number)")
                #expect(try await client.command("RSET").code == 250)
            }
            await client.quit()
        }
        for number in 1...20 {
            let delivered = await fixture.rig.deliveredMessage(containing: "Subject: \(base)-\(number)\n", timeout: 30)
            #expect(delivered?.contains("X-Sekisho-Test: ok ") == true, "message \(number)")
        }
        #expect(fixture.logs.records(containing: "closing milter connection").isEmpty, "no protocol errors: \(fixture.logs.records(containing: "closing"))")
    }
}

/// Every case through a real Postfix 3.7 and a real Sendmail 8.17 (``SendmailRig``), each MTA
/// held to its own rules: Sendmail puts the address before a 5xx text at MAIL/RCPT, says 554 for
/// a reject after DATA, and keeps a quarantined message as an `hf` file.
@Suite("Postfix and Sendmail end to end", .serialized, .mtaRigs, .enabled(if: !MailRigKind.testable.isEmpty))
struct MilterEndToEndTests {
    @Test("accept: the message is delivered with the milter's header, body intact, the queue id seen", arguments: MailRigKind.testable)
    func accept(_ kind: MailRigKind) async throws { try await MilterEndToEnd.accept(try MTAFixture.require(kind)) }

    @Test("reject and tempfail at every stage reach the SMTP client", arguments: MailRigKind.testable, MilterEndToEnd.stageRejections)
    func stageRejection(_ kind: MailRigKind, _ row: (String, String, [String], [String], String?, String, Int)) async throws {
        try await MilterEndToEnd.stageRejection(try MTAFixture.require(kind), row)
    }

    @Test("a custom multi-line reply with % reaches the client line by line", arguments: MailRigKind.testable)
    func multiLineReply(_ kind: MailRigKind) async throws { try await MilterEndToEnd.multiLineReply(try MTAFixture.require(kind)) }

    @Test("a custom reply at end of message", arguments: MailRigKind.testable)
    func endOfMessageReply(_ kind: MailRigKind) async throws { try await MilterEndToEnd.endOfMessageReply(try MTAFixture.require(kind)) }

    @Test("discard: the client sees 250, nothing is delivered", arguments: MailRigKind.testable)
    func discard(_ kind: MailRigKind) async throws { try await MilterEndToEnd.discard(try MTAFixture.require(kind)) }

    @Test("every header modification: add, insert at 0, change, delete, change the 2nd of a name, folded", arguments: MailRigKind.testable)
    func headerModifications(_ kind: MailRigKind) async throws { try await MilterEndToEnd.headerModifications(try MTAFixture.require(kind)) }

    @Test("body replacement larger than 64 KiB is delivered whole", arguments: MailRigKind.testable)
    func bigBodyReplacement(_ kind: MailRigKind) async throws { try await MilterEndToEnd.bigBodyReplacement(try MTAFixture.require(kind)) }

    @Test("added recipients get the message; a deleted recipient does not", arguments: MailRigKind.testable)
    func recipients(_ kind: MailRigKind) async throws { try await MilterEndToEnd.recipients(try MTAFixture.require(kind)) }

    @Test("change from: the envelope sender is replaced", arguments: MailRigKind.testable)
    func changeSender(_ kind: MailRigKind) async throws { try await MilterEndToEnd.changeSender(try MTAFixture.require(kind)) }

    @Test("quarantine: Postfix's hold queue, Sendmail's hf file; never delivered", arguments: MailRigKind.testable)
    func quarantine(_ kind: MailRigKind) async throws { try await MilterEndToEnd.quarantine(try MTAFixture.require(kind)) }

    @Test("20 messages on one SMTP connection with RSET between them", arguments: MailRigKind.testable)
    func twentyMessages(_ kind: MailRigKind) async throws { try await MilterEndToEnd.twentyMessages(try MTAFixture.require(kind)) }
}

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
    xclient: String? = nil
) async throws -> SMTPConversation {
    try await SMTPTestClient.withConnection(port: port) { client in
        var conversation = SMTPConversation()
        conversation.replies["greeting"] = client.greeting
        conversation.replies["ehlo"] = try await client.command("EHLO \(helo)")
        if let xclient {
            let reply = try await client.command("XCLIENT \(xclient)")
            conversation.replies["xclient"] = reply
            guard reply.code == 220 else { return conversation }
            conversation.replies["ehlo"] = try await client.command("EHLO \(helo)")
        }
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

@Suite("Postfix end to end", .serialized, .postfixRig, .enabled(if: TestEnvironment.canRunPostfix || TestEnvironment.isCI))
struct PostfixEndToEndTests {
    @Test("accept: the message is delivered with the milter's header, body intact")
    func accept() async throws {
        let fixture = try PostfixFixture.require()
        let subject = marker("accept")
        let conversation = try await smtpSend(port: fixture.rig.smtpPort, from: "a@example.com", to: ["b@example.org"], subject: subject, body: "line one\n.\n..two dots\nlast\n")
        #expect(conversation.replies["end"]?.code == 250)
        let delivered = try #require(await fixture.rig.deliveredMessage(containing: subject))
        #expect(delivered.contains("X-Sekisho-Test: ok "))
        #expect(!delivered.contains("no-queue-id"), "the queue id macro reached the filter")
        #expect(delivered.hasSuffix("\n\nline one\n.\n..two dots\nlast\n"))
    }

    static let stageRejections: [(String, String, [String], [String], String?, String, Int)] = [
        // name, sender, recipients, extra headers, XCLIENT/HELO, step, expected code
        // After XCLIENT Postfix greets anew: a connect-stage reject becomes that greeting (554);
        // a tempfail keeps the 220 greeting and refuses MAIL with 451.
        ("connect reject", "a@example.com", ["b@example.org"], [], "ADDR=192.0.2.10 NAME=bad.example", "xclient", 554),
        ("connect tempfail", "a@example.com", ["b@example.org"], [], "ADDR=192.0.2.11 NAME=slow.example", "mail", 451),
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

    @Test("reject and tempfail at every stage reach the SMTP client", arguments: stageRejections)
    func stageRejection(_ name: String, _ from: String, _ to: [String], _ headers: [String], _ special: String?, _ step: String, _ code: Int) async throws {
        let fixture = try PostfixFixture.require()
        let subject = marker(name.replacingOccurrences(of: " ", with: "-"))
        var helo = "client.example.net"
        var xclient: String?
        if let special {
            if special.hasPrefix("HELO ") { helo = String(special.dropFirst(5)) } else { xclient = special }
        }
        let body = name == "body reject" ? "text\nREJECT-IN-BODY\n" : "text\n"
        let conversation = try await smtpSend(
            port: fixture.rig.smtpPort, from: from, to: to, subject: subject, headers: headers, body: body, helo: helo, xclient: xclient
        )
        let reply = step == "rcpt" ? conversation.recipients.first : conversation.replies[step]
        #expect(reply?.code == code, "\(name): \(step) got \(reply.map(\.description) ?? "nothing"); \(conversation.replies)")
        if step == "end" || step == "rcpt" {
            #expect(fixture.rig.sinkFile(containing: subject) == nil, "\(name): nothing delivered")
        }
    }

    @Test("a custom multi-line reply with % reaches the client line by line")
    func multiLineReply() async throws {
        let fixture = try PostfixFixture.require()
        let conversation = try await smtpSend(port: fixture.rig.smtpPort, from: "multiline@example.com", to: ["b@example.org"], subject: marker("multi"))
        let reply = try #require(conversation.replies["mail"])
        #expect(reply.lines == ["550-5.7.1 first line of three", "550-5.7.1 100% sure, second", "550 5.7.1 third and last"])
    }

    @Test("a custom reply at end of message")
    func endOfMessageReply() async throws {
        let fixture = try PostfixFixture.require()
        let conversation = try await smtpSend(port: fixture.rig.smtpPort, from: "a@example.com", to: ["b@example.org"], subject: marker("eomreply"), headers: ["X-Test-Action: reply"])
        #expect(conversation.replies["end"]?.lines == ["554-5.7.0 rejected at end of message", "554 5.7.0 by the rig filter"])
    }

    @Test("discard: the client sees 250, nothing is delivered")
    func discard() async throws {
        let fixture = try PostfixFixture.require()
        let subject = marker("discard")
        let conversation = try await smtpSend(port: fixture.rig.smtpPort, from: "a@example.com", to: ["b@example.org"], subject: subject, headers: ["X-Test-Action: discard"])
        #expect(conversation.replies["end"]?.code == 250)
        #expect(await fixture.rig.waitForQueue())
        try await Task.sleep(for: .milliseconds(500))
        #expect(fixture.rig.sinkFile(containing: subject) == nil)
        #expect(fixture.rig.log.contains("milter-discard"))
    }

    @Test("every header modification: add, insert at 0, change, delete, change the 2nd of a name, folded")
    func headerModifications() async throws {
        let fixture = try PostfixFixture.require()
        let subject = marker("headers")
        let conversation = try await smtpSend(
            port: fixture.rig.smtpPort, from: "a@example.com", to: ["b@example.org"], subject: subject,
            headers: ["X-Test-Action: headers", "X-Delete-Me: gone", "X-Multi: first", "X-Multi: second"]
        )
        #expect(conversation.replies["end"]?.code == 250)
        let delivered = try #require(await fixture.rig.deliveredMessage(containing: "X-Test-Action: headers"))
        let headerBlock = delivered.components(separatedBy: "\n\n")[0]
        let lines = headerBlock.components(separatedBy: "\n")
        #expect(lines.first == "X-Inserted: at the top", "inserted above Postfix's Received: \(lines.prefix(3))")
        #expect(lines.contains("X-Added: added at end"))
        #expect(lines.contains("Subject: changed subject"))
        #expect(!lines.contains("Subject: \(subject)"))
        #expect(!headerBlock.contains("X-Delete-Me"))
        #expect(lines.contains("X-Multi: first") && lines.contains("X-Multi: second changed"))
        #expect(headerBlock.contains("X-Folded: line one\n\tline two"))
    }

    @Test("body replacement larger than 64 KiB is delivered whole")
    func bigBodyReplacement() async throws {
        let fixture = try PostfixFixture.require()
        let subject = marker("bigbody")
        let conversation = try await smtpSend(port: fixture.rig.smtpPort, from: "a@example.com", to: ["b@example.org"], subject: subject, headers: ["X-Test-Action: big-body"])
        #expect(conversation.replies["end"]?.code == 250)
        let delivered = try #require(await fixture.rig.deliveredMessage(containing: subject))
        let separator = try #require(delivered.range(of: "\n\n"))
        let body = delivered[separator.upperBound...]
        let expected = String(decoding: RigFilter.bigBody.readableBytesView, as: UTF8.self).replacingOccurrences(of: "\r\n", with: "\n")
        #expect(String(body) == expected, "delivered body \(body.utf8.count) bytes, expected \(expected.utf8.count)")
    }

    @Test("added recipients get the message; a deleted recipient does not")
    func recipients() async throws {
        let fixture = try PostfixFixture.require()
        let added = try await smtpSend(port: fixture.rig.smtpPort, from: "a@example.com", to: ["b@example.org"], subject: marker("addrcpt"), headers: ["X-Test-Action: add-rcpt"])
        #expect(added.replies["end"]?.code == 250)
        let removed = try await smtpSend(port: fixture.rig.smtpPort, from: "a@example.com", to: ["kept@example.org", "removed@example.org"], subject: marker("delrcpt"), headers: ["X-Test-Action: del-rcpt"])
        #expect(removed.replies["end"]?.code == 250)
        #expect(await fixture.rig.waitForQueue())
        let log = try await waitForLog(fixture, ["to=<added@example.org>", "to=<added-par@example.org>", "to=<kept@example.org>"])
        #expect(log.contains("to=<added@example.org>") && log.contains("to=<added-par@example.org>"))
        #expect(log.contains("to=<kept@example.org>"))
        #expect(!log.contains("to=<removed@example.org>"))
    }

    @Test("change from: the envelope sender is replaced")
    func changeSender() async throws {
        let fixture = try PostfixFixture.require()
        let conversation = try await smtpSend(port: fixture.rig.smtpPort, from: "original@example.com", to: ["b@example.org"], subject: marker("chgfrom"), headers: ["X-Test-Action: chg-from"])
        #expect(conversation.replies["end"]?.code == 250)
        let log = try await waitForLog(fixture, ["from=<changed@example.com>"])
        #expect(log.contains("from=<changed@example.com>"))
    }

    @Test("quarantine: the message sits in Postfix's hold queue")
    func quarantine() async throws {
        let fixture = try PostfixFixture.require()
        let before = fixture.rig.queueCount(["hold"])
        let subject = marker("hold")
        let conversation = try await smtpSend(port: fixture.rig.smtpPort, from: "a@example.com", to: ["b@example.org"], subject: subject, headers: ["X-Test-Action: quarantine"])
        #expect(conversation.replies["end"]?.code == 250)
        #expect(await fixture.rig.waitForQueue())
        #expect(fixture.rig.queueCount(["hold"]) == before + 1)
        #expect(fixture.rig.sinkFile(containing: subject) == nil)
        #expect(fixture.rig.log.contains("milter-hold: END-OF-MESSAGE"))
    }

    @Test("20 messages on one SMTP connection with RSET between them")
    func twentyMessages() async throws {
        let fixture = try PostfixFixture.require()
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
            let delivered = await fixture.rig.deliveredMessage(containing: "Subject: \(base)-\(number)\n")
            #expect(delivered?.contains("X-Sekisho-Test: ok ") == true, "message \(number)")
        }
        #expect(fixture.logs.records(containing: "closing milter connection").isEmpty, "no protocol errors: \(fixture.logs.records(containing: "closing"))")
    }

    private func waitForLog(_ fixture: PostfixFixture, _ needles: [String], timeout: TimeInterval = 20) async throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var log = fixture.rig.log
        while Date() < deadline {
            log = fixture.rig.log
            if needles.allSatisfy({ log.contains($0) }) { return log }
            try await Task.sleep(for: .milliseconds(200))
        }
        return log
    }
}

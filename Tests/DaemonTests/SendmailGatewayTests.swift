import Archive
import Foundation
import TestSupport
import Testing

@testable import Daemon

/// sekishod through a real Sendmail 8.17 (``SendmailRig``), with the example configurations of
/// the Postfix suites and the same checks: 7z opens the ZIP with the notified password (the
/// notice reinjected through Sendmail's milter-free listener), the archive finds the message
/// with its envelope, the disarmed copy arrives at the copy server and the original is
/// unchanged.
@Suite("sekishod through Sendmail", .serialized, .enabled(if: (SendmailRig.canRun && TestEnvironment.canRunPostfix) || TestEnvironment.isCI))
struct SendmailGatewayTests {
    /// Corpus messages with attachments the encrypt filter takes (a few: the Postfix suite runs
    /// the whole corpus; this proves the MTA side).
    static let corpusSample = 4

    @Test("attachment protection: AES-256 ZIP opened by 7z with the password from the notice, every file intact")
    func attachmentProtection() async throws {
        let sevenZip = try Tool.require("/usr/bin/7z")
        let cases = Array(try EncryptEndToEndTests.cases().prefix(Self.corpusSample))
        #expect(cases.count == Self.corpusSample)
        try await GatewayOnMTA.run(on: .sendmail, policy: { EncryptEndToEndTests.policy(reinjectionPort: $0) }) { rig in
            for item in cases {
                let reply = try await SMTPTestClient.send(port: rig.smtpPort, from: "s-\(item.id)@corp.example", to: ["r-\(item.id)@aes.example"], message: item.bytes)
                #expect(reply == 250, "\(item.id): \(reply)")
            }
            let messages = try await GatewayOnMTA.waitForSink(rig) { $0.count >= cases.count * 2 }
            #expect(messages.count == cases.count * 2, "protected messages and notices")
            let work = FileManager.default.temporaryDirectory.appendingPathComponent("sekisho-sendmail-zip-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: work) }
            for item in cases {
                guard let delivered = messages.first(where: { $0.recipients == ["r-\(item.id)@aes.example"] }),
                    let notice = messages.first(where: { $0.recipients == ["s-\(item.id)@corp.example"] })
                else {
                    Issue.record("\(item.id): protected message or notice missing")
                    continue
                }
                #expect(notice.sender == "", "\(item.id): the notice comes from the null sender")
                let password = try EncryptEndToEndTests.password(in: notice.bytes)
                let archives = try EncryptEndToEndTests.zipParts(of: delivered.bytes)
                #expect(archives.count == 1, "\(item.id)")
                guard let archive = archives.first else { continue }
                let directory = work.appendingPathComponent(item.id)
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                let zipPath = directory.appendingPathComponent("archive.zip").path
                try Data(archive.content).write(to: URL(fileURLWithPath: zipPath))
                let out = directory.appendingPathComponent("out").path
                let result = try await Tool.run(sevenZip, ["x", "-y", "-p\(password)", "-o\(out)", zipPath])
                #expect(result.status == 0, "\(item.id): \(result.output) \(result.error)")
                #expect(try EncryptEndToEndTests.extracted(out) == EncryptEndToEndTests.sorted(item.expected), "\(item.id)")
            }
        }
    }

    @Test("etc/examples/attachment-protection.yaml through Sendmail: a partner gets the AES-256 ZIP, the sender the bilingual notice whose password opens it in 7z")
    func exampleConfiguration() async throws {
        let sevenZip = try Tool.require("/usr/bin/7z")
        let item = try #require(try EncryptEndToEndTests.cases().first)
        let state = "/tmp/sekisho-sendmail-example-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: state) }
        let example = try String(contentsOfFile: TestEnvironment.packageRoot.appendingPathComponent("etc/examples/attachment-protection.yaml").path, encoding: .utf8)
        let linksPort = FreePort.next()
        // The example's rig ports and relative storage, pointed at this test's rig and folder.
        func policy(_ reinjectionPort: Int) -> String {
            example.replacingOccurrences(of: "127.0.0.1:10027", with: "127.0.0.1:\(reinjectionPort)")
                .replacingOccurrences(of: "127.0.0.1:8900", with: "127.0.0.1:\(linksPort)")
                .replacingOccurrences(of: "sqlite:./var/sekisho.sqlite", with: "sqlite:\(state)/sekisho.sqlite")
        }
        #expect(policy(1).contains("relay: 127.0.0.1:1"), "the example still names the reinjection port the test replaces")
        try await GatewayOnMTA.run(on: .sendmail, policy: policy) { rig in
            let reply = try await SMTPTestClient.send(port: rig.smtpPort, from: "taro@example.co.jp", to: ["hanako@partner.example"], message: item.bytes)
            #expect(reply == 250)
            let messages = try await GatewayOnMTA.waitForSink(rig) { $0.count >= 2 }
            let delivered = try #require(messages.first { $0.recipients == ["hanako@partner.example"] })
            let notice = try #require(messages.first { $0.recipients == ["taro@example.co.jp"] })
            let password = try EncryptEndToEndTests.password(in: notice.bytes)
            let archive = try #require(try EncryptEndToEndTests.zipParts(of: delivered.bytes).first)
            let work = FileManager.default.temporaryDirectory.appendingPathComponent("sekisho-sendmail-example-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: work) }
            try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
            let zipPath = work.appendingPathComponent("archive.zip").path
            try Data(archive.content).write(to: URL(fileURLWithPath: zipPath))
            let listing = try await Tool.run(sevenZip, ["l", "-slt", "-p\(password)", zipPath])
            #expect(listing.output.contains("AES-256"), "\(listing.output)")
            let out = work.appendingPathComponent("out").path
            let result = try await Tool.run(sevenZip, ["x", "-y", "-p\(password)", "-o\(out)", zipPath])
            #expect(result.status == 0, "\(result.output) \(result.error)")
            #expect(try EncryptEndToEndTests.extracted(out) == EncryptEndToEndTests.sorted(item.expected))
        }
    }

    @Test("archive: every message found by its sender, stored as the client sent it, with Sendmail's queue id and the client address")
    func archive() async throws {
        let root = "/tmp/sekisho-sendmail-archive-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let ids = Array(Corpus.storedIDs.prefix(6))
        var sent = [String: [UInt8]]()
        try await GatewayOnMTA.run(on: .sendmail, policy: { _ in ArchiveEndToEndTests.policy(archive: root, webPort: FreePort.next()) }) { rig in
            for id in ids {
                let bytes = try Corpus.bytes(id)
                let reply = try await SMTPTestClient.send(port: rig.smtpPort, from: "\(id)@corp.example", to: ["auditor-\(id)@partner.example"], message: bytes)
                #expect(reply == 250, "\(id): \(reply)")
                if reply == 250 { sent[id] = bytes }
            }
            let index = ArchiveIndex(database: try ArchiveDatabase(path: "\(root)/sekisho/index.sqlite"))
            let deadline = ContinuousClock.now + .seconds(60)
            while try index.count() < sent.count, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(200)) }
            #expect(try index.count() == sent.count)
        }
        let store = try Gateway.openArchive(ArchiveGatewaySettings(directory: root))
        for (id, original) in sent {
            let result = try store.index.search(try ArchiveQuery.parse("sender:\(id)@corp.example"), scope: .everything)
            #expect(result.total == 1, "\(id)")
            guard let message = result.hits.first?.message else { continue }
            let stored = try [UInt8](Data(contentsOf: URL(fileURLWithPath: "\(root)/\(message.path)")))
            // Sendmail shows milters neither its Received: line nor headers it adds: what the
            // client sent (line ends as CRLF).
            #expect(stored == DuplicateChecks.crlf(original), "\(id): archived copy differs from what was sent")
            #expect(message.envelope.recipients == ["auditor-\(id)@partner.example"])
            #expect(message.envelope.clientAddress == "127.0.0.1")
            #expect((message.envelope.queueID ?? "").count >= 8, "\(id): Sendmail's queue id (sent at MAIL)")
            #expect(message.envelope.direction == "outbound")
        }
    }

    @Test("duplication: the original reaches Sendmail's sink unchanged, the disarmed copy the copy server")
    func duplication() async throws {
        let withAttachments = Corpus.storedIDs.filter { id in
            ((Corpus.entry(id)["attachments"] as? [[String: Any]]) ?? []).contains { ($0["role"] as? String) == "attachment" }
        }.prefix(Self.corpusSample)
        try await DuplicateEndToEndTests.withTwoRigs(on: .sendmail) { original, copy in
            try await DuplicateEndToEndTests.sendAndCheck(withAttachments, original: original, copy: copy)
        }
    }
}

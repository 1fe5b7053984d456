import Foundation
import TestSupport
import Testing

/// `kill -9` of sekishod while messages stream through Postfix and copies are being delivered:
/// after the restart every message the client saw accepted has its copy at the copy server, and
/// none is doubled by the gateway — copies of messages the MTA never got an answer for were held
/// and are dropped (the client sends those again), deliveries noted in the journal are not
/// repeated. The one doubling left is RFC 1047's: a copy the server committed whose 250 never
/// arrived, which the restart names.
@Suite("Duplication survives kill -9", .serialized, .enabled(if: TestEnvironment.canRunPostfix || TestEnvironment.isCI))
struct DuplicateCrashTests {
    @Test(.timeLimit(.minutes(5))) func noCopyLostOrDoubledAfterKill9() async throws {
        guard TestEnvironment.canRunPostfix else { throw MissingComponent("root and the postfix package") }
        let binary = try TestEnvironment.builtBinary("sekishod")
        let milterPort = FreePort.next()
        let copyRig = try await PostfixRig.start(milter: nil)
        let rig = try await PostfixRig.start(milter: "inet:127.0.0.1:\(milterPort)")
        let state = "/tmp/sekisho-duplicate-kill-\(getpid())-\(milterPort)"
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: state) }
        try """
            duplicate:
              destinations:
                internal:
                  relay: 127.0.0.1:\(copyRig.smtpPort)
                  tls: none
                  retry: {initial_delay: 1s, maximum_delay: 3s}
                  sanitize: {attachments: all, defang_urls: yes}
            rules:
              - name: all
                actions: [duplicate]
            """.write(toFile: "\(state)/policy.yaml", atomically: true, encoding: .utf8)
        let arguments = ["--config", "\(state)/policy.yaml", "--listen", "inet:\(milterPort)@127.0.0.1", "--state-directory", state, "--web", "off"]
        let first = try ProcessRunner.start(binary, arguments, log: "\(state)-1.log")
        guard await FreePort.waitUntilOpen(milterPort) else {
            await rig.stop()
            await copyRig.stop()
            throw MissingComponent("sekishod did not listen: \(first.output)")
        }
        let run = "dupkill-\(UInt32.random(in: 0...UInt32.max))"
        @Sendable func message(_ id: String) -> [UInt8] {
            Array("Subject: \(id)\r\nMessage-ID: <\(id)@kill.example>\r\nFrom: a@kill.example\r\nDate: Sun, 29 Nov 2026 12:00:00 +0900\r\n\r\n複製 \(id)\r\nhttps://kill.example/\(id)\r\n".utf8)
        }
        // The kill comes once 60 messages were accepted, while copies are being delivered.
        let results = try await KillDuringStream.run(
            port: rig.smtpPort, run: run, clients: 4, perClient: 50, killAfter: 60, pid: first.pid, from: "a@kill.example", to: "b@sink.example", message: message
        )
        _ = await first.waitForExit(timeout: 10)
        #expect(results.contains { $0.1 == 250 }, "nothing got through before the kill")
        #expect(results.contains { $0.1 != 250 }, "the kill did not cut into the stream")

        // Restart, and send again what was refused (as any SMTP client would after a 4xx).
        let second = try ProcessRunner.start(binary, arguments, log: "\(state)-2.log")
        #expect(await FreePort.waitUntilOpen(milterPort))
        var accepted = Set(results.filter { $0.1 == 250 }.map(\.0))
        for (id, code) in results where code != 250 {
            #expect((400..<500).contains(code) || code == -1, "\(id): \(code)")
            let again = try await SMTPTestClient.send(port: rig.smtpPort, from: "a@kill.example", to: ["b@sink.example"], message: message(id))
            #expect(again == 250, "\(id) resent: \(again)")
            if again == 250 { accepted.insert(id) }
        }
        #expect(accepted.count == 200)
        _ = try await GatewayOnMTA.waitForSink(copyRig) { DuplicateChecks.countBySubject($0, prefix: run).count >= accepted.count }
        try await Task.sleep(for: .seconds(4))  // a doubled copy would arrive by now
        let counted = DuplicateChecks.countBySubject(GatewayOnMTA.sinkMessages(copyRig), prefix: run)
        let missing = accepted.filter { counted[$0] == nil }
        let doubled = counted.filter { $0.value > 1 }
        #expect(missing.isEmpty, "copies lost: \(missing.sorted().prefix(5))")
        // No copy is doubled except one whose delivery was under way when the process died, in
        // the moment no SMTP client can close (RFC 1047): the copy server had committed it and
        // its 250 had not arrived. The restart names each such entry with its queue id.
        let restartLog = (try? String(contentsOfFile: "\(state)-2.log", encoding: .utf8)) ?? ""
        let inDoubt = Set(restartLog.split(separator: "\n").filter { $0.contains("entry was leased for delivery when the previous runner stopped") }.compactMap { line in
            line.split(separator: " ").first { $0.hasPrefix("mail.queue_id=") }.map { String($0.dropFirst("mail.queue_id=".count)) }
        })
        let originalQueueIDs = DuplicateChecks.queueIDsBySubject(GatewayOnMTA.sinkMessages(rig), prefix: run)
        for (subject, _) in doubled {
            let queueID = originalQueueIDs[subject] ?? "?"
            #expect(inDoubt.contains(queueID), "\(subject) (queue id \(queueID)) doubled without being in doubt at the restart (in doubt: \(inDoubt.sorted()))")
        }
        // The originals: each accepted message exactly once at rig A's sink.
        let originals = DuplicateChecks.countBySubject(GatewayOnMTA.sinkMessages(rig), prefix: run)
        #expect(originals.count == accepted.count && originals.values.allSatisfy { $0 == 1 })
        let log = (try? String(contentsOfFile: "\(state)-2.log", encoding: .utf8)) ?? ""
        print("duplicate kill -9: \(results.filter { $0.1 == 250 }.count) accepted before the kill, \(results.filter { $0.1 != 250 }.count) refused and resent; held copies dropped at the restart: \(log.contains("dropped_holds")); copies in doubt: \(inDoubt.count), doubled: \(doubled.count)")
        second.process.terminate()
        #expect(await second.waitForExit(timeout: 30) == 0, "\(second.output)")
        await rig.stop()
        await copyRig.stop()
    }
}

import Archive
import Foundation
import TestSupport
import Testing

@testable import Daemon

/// `kill -9` of sekishod during a burst through Postfix: every message a client saw accepted
/// (250) is in the archive afterwards — the copy is durable before the MTA gets its answer — and
/// in the index once the restarted sekishod has caught up from the envelope sidecars.
@Suite("Archive survives kill -9", .serialized, .enabled(if: TestEnvironment.canRunPostfix || TestEnvironment.isCI))
struct ArchiveCrashTests {
    @Test func acceptedMailIsArchivedAndIndexedAfterKill9() async throws {
        guard TestEnvironment.canRunPostfix else { throw MissingComponent("root and the postfix package") }
        let binary = try TestEnvironment.builtBinary("sekishod")
        let milterPort = FreePort.next()
        let rig = try await PostfixRig.start(milter: "inet:127.0.0.1:\(milterPort)")
        let state = "/tmp/sekisho-archive-kill-\(getpid())-\(milterPort)"
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: state) }
        try "archive:\n  directory: \(state)/archive\nrules:\n  - name: all\n    actions: [archive]\n".write(toFile: "\(state)/policy.yaml", atomically: true, encoding: .utf8)
        let arguments = ["--config", "\(state)/policy.yaml", "--listen", "inet:\(milterPort)@127.0.0.1", "--state-directory", state, "--web", "off"]
        let first = try ProcessRunner.start(binary, arguments, log: "\(state)-1.log")
        guard await FreePort.waitUntilOpen(milterPort) else {
            await rig.stop()
            throw MissingComponent("sekishod did not listen: \(first.output)")
        }
        let run = "kill-\(UInt32.random(in: 0...UInt32.max))"
        // The kill comes once 30 messages were accepted, whatever the speed of the machine.
        let results = try await KillDuringStream.run(
            port: rig.smtpPort, run: run, clients: 4, perClient: 40, killAfter: 30, pid: first.pid, from: "a@kill.example", to: "b@sink.example"
        ) { id in
            Array("Subject: \(id)\r\nMessage-ID: <\(id)@kill.example>\r\nFrom: a@kill.example\r\nDate: Sun, 29 Nov 2026 12:00:00 +0900\r\n\r\n請求書 \(id)\r\n".utf8)
        }
        _ = await first.waitForExit(timeout: 10)
        let accepted = results.filter { $0.1 == 250 }.map(\.0)
        #expect(!accepted.isEmpty, "nothing got through before the kill")
        #expect(results.contains { $0.1 != 250 }, "the kill did not cut into the burst")
        for (id, code) in results where code != 250 {
            #expect((400..<500).contains(code) || code == -1, "\(id): \(code)")
        }

        // Restart: the catch-up indexes whatever was stored but not yet indexed.
        let second = try ProcessRunner.start(binary, arguments, log: "\(state)-2.log")
        defer { Task { await second.stop() } }
        #expect(await FreePort.waitUntilOpen(milterPort))
        let store = try Gateway.openArchive(ArchiveGatewaySettings(directory: "\(state)/archive"))
        let deadline = ContinuousClock.now + .seconds(30)
        var missing = accepted
        while !missing.isEmpty, ContinuousClock.now < deadline {
            missing = try missing.filter { id in try store.index.search(ArchiveQuery(clauses: [.match(.subject, id)]), scope: .everything).total == 0 }
            if !missing.isEmpty { try await Task.sleep(for: .milliseconds(300)) }
        }
        #expect(missing.isEmpty, "accepted but not in the index: \(missing.prefix(5))")
        // And on disk, byte for byte what was sent (it has a Date:, so Postfix adds nothing).
        for id in accepted.prefix(20) {
            guard let hit = try store.index.search(ArchiveQuery(clauses: [.match(.subject, id)]), scope: .everything).hits.first else { continue }
            let expected = Array("Subject: \(id)\r\nMessage-ID: <\(id)@kill.example>\r\nFrom: a@kill.example\r\nDate: Sun, 29 Nov 2026 12:00:00 +0900\r\n\r\n請求書 \(id)\r\n".utf8)
            let stored = try store.bytes(of: hit.message)
            #expect(stored == expected, "\(String(decoding: stored, as: UTF8.self).debugDescription)")
        }
        // Nothing half-written is visible in new/.
        let files = store.maildirFileCount()
        #expect(files >= accepted.count)
        second.process.terminate()
        #expect(await second.waitForExit(timeout: 30) == 0, "\(second.output)")
        await rig.stop()
    }
}

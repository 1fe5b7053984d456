import Foundation
import TestSupport
import Testing

/// SIGTERM while mail flows through Postfix: every message the client saw accepted (250) is
/// delivered, every other one was refused with 4xx (so the sender keeps it); sekishod drains and
/// exits 0. Nothing is lost. The drain is cut to 300 ms so that the shutdown really cuts into the
/// stream (Postfix's smtpd keeps its milter connection across SMTP sessions).
@Suite("sekishod under load", .serialized, .enabled(if: TestEnvironment.canRunPostfix || TestEnvironment.isCI))
struct ShutdownUnderLoadTests {
    @Test("SIGTERM under load loses no mail")
    func sigtermUnderLoad() async throws {
        guard TestEnvironment.canRunPostfix else { throw MissingComponent("root and the postfix package") }
        let binary = try TestEnvironment.builtBinary("sekishod")
        let milterPort = FreePort.next()
        let rig = try await PostfixRig.start(milter: "inet:127.0.0.1:\(milterPort)")
        let state = "/tmp/sekisho-load-\(getpid())-\(milterPort)"
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: state) }
        try "milter:\n  shutdown_drain: 300ms\nrules:\n  - name: mark\n    actions:\n      - header: {name: X-Load, value: seen}\n".write(toFile: "\(state)/policy.yaml", atomically: true, encoding: .utf8)
        let daemon = try ProcessRunner.start(binary, ["--config", "\(state)/policy.yaml", "--listen", "inet:\(milterPort)@127.0.0.1", "--state-directory", state, "--web", "off"], log: "\(state).log")
        guard await FreePort.waitUntilOpen(milterPort) else {
            await rig.stop()
            throw MissingComponent("sekishod did not listen: \(daemon.output)")
        }
        let run = "load-\(UInt32.random(in: 0...UInt32.max))"
        // Four clients, forty messages each; SIGTERM early in the stream.
        let results = try await withThrowingTaskGroup(of: [(String, Int)].self) { group in
            for client in 0..<4 {
                group.addTask {
                    var outcomes = [(String, Int)]()
                    for index in 0..<40 {
                        let id = "\(run)-\(client)-\(index)"
                        // The first refusal of the transaction, or the reply to the final dot;
                        // -1 when the connection itself failed.
                        let code = (try? await SMTPTestClient.withConnection(port: rig.smtpPort) { smtp -> Int in
                            let ehlo = try await smtp.command("EHLO load.example")
                            guard ehlo.code == 250 else { return ehlo.code }
                            let mail = try await smtp.command("MAIL FROM:<a@load.example>")
                            guard mail.code == 250 else { return mail.code }
                            let rcpt = try await smtp.command("RCPT TO:<b@sink.example>")
                            guard rcpt.code == 250 else { return rcpt.code }
                            let (data, end) = try await smtp.data(Array("Subject: \(id)\r\nMessage-ID: <\(id)@load.example>\r\n\r\nbody \(id)\r\n".utf8))
                            guard data.code == 354 else { return data.code }
                            await smtp.quit()
                            return end?.code ?? -1
                        }) ?? -1
                        outcomes.append((id, code))
                    }
                    return outcomes
                }
            }
            group.addTask {
                try await Task.sleep(for: .milliseconds(300))
                kill(daemon.pid, SIGTERM)
                return []
            }
            var all = [(String, Int)]()
            for try await outcomes in group { all += outcomes }
            return all
        }
        #expect(await daemon.waitForExit(timeout: 60) == 0, "\(daemon.output)")
        #expect(await rig.waitForQueue(timeout: 60))
        let delivered = rig.sinkFiles().compactMap { try? String(contentsOfFile: $0, encoding: .utf8) }
        let accepted = results.filter { $0.1 == 250 }.map(\.0)
        let refused = results.filter { $0.1 != 250 }
        #expect(!accepted.isEmpty, "nothing got through before the shutdown")
        #expect(results.count == 160)
        for id in accepted {
            #expect(delivered.contains { $0.contains("Subject: \(id)") }, "\(id) was accepted but not delivered")
        }
        for (id, code) in refused {
            #expect((400..<500).contains(code), "\(id): \(code) — a refusal must be temporary, so the sender keeps the mail")
            #expect(!delivered.contains { $0.contains("Subject: \(id)") }, "\(id) refused but delivered")
        }
        await daemon.stop()
        await rig.stop()
    }
}

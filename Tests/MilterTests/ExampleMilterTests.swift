import Foundation
import Milter
import TestSupport
import Testing

/// The `example-milter` executable as outside checks use it: driven by OpenDKIM's miltertest
/// with the Lua scripts in Tests/MilterTests/Lua, and by a real Postfix.
@Suite("example-milter binary", .serialized)
struct ExampleMilterTests {
    /// Starts the built example-milter on a free port for the duration of `body`.
    func withExampleMilter(_ body: (Int) async throws -> Void) async throws {
        let binary = TestEnvironment.binary("example-milter")
        guard TestEnvironment.hasExecutable(binary) else {
            throw MissingComponent("the example-milter executable at \(binary) (run swift build first)")
        }
        let port = FreePort.next()
        let milter = try ProcessRunner.start(binary, ["--listen", "inet:\(port)@127.0.0.1"], log: "/tmp/sekisho-example-\(port).log")
        guard await FreePort.waitUntilOpen(port) else {
            await milter.stop()
            throw TestFailure("example-milter did not listen: \(milter.output)")
        }
        do {
            try await body(port)
        } catch {
            await milter.stop()
            throw error
        }
        await milter.stop()
        #expect(!milter.output.contains("closing milter connection"), "no protocol errors: \(milter.output)")
    }

    static let scripts = ["example-milter.lua", "old-mta.lua"]

    @Test("miltertest scripts pass against the example milter", .enabled(if: TestEnvironment.hasMiltertest || TestEnvironment.isCI), arguments: scripts)
    func miltertest(_ script: String) async throws {
        guard TestEnvironment.hasMiltertest else { throw MissingComponent("miltertest (Debian package miltertest)") }
        let path = try #require(Bundle.module.path(forResource: script, ofType: nil, inDirectory: "Lua"))
        try await withExampleMilter { port in
            let result = try await ProcessRunner.run("/usr/bin/miltertest", ["-s", path, "-D", "sock=inet:\(port)@127.0.0.1"])
            #expect(result.status == 0, "miltertest \(script) failed:\n\(result.output)\(result.error)")
            #expect(result.output.contains(", 0 failed"), "\(result.output)")
            #expect(!result.output.contains("FAIL"), "\(result.output)")
        }
    }

    @Test("sekisho milter-test prints every reply and modification and sets the exit status")
    func milterTestCommand() async throws {
        let sekisho = TestEnvironment.binary("sekisho")
        let message = TestEnvironment.packageRoot.appendingPathComponent("Tests/MilterTests/Fixtures/japanese.eml").path
        try await withExampleMilter { port in
            let accepted = try await ProcessRunner.run(sekisho, ["milter-test", "--milter", "inet:\(port)@127.0.0.1", message, "--print-message"])
            #expect(accepted.status == 0, "\(accepted.output)\(accepted.error)")
            #expect(accepted.output.contains("negotiate: version 6"))
            #expect(accepted.output.contains("mail <tanaka@example.co.jp>: continue"))
            #expect(accepted.output.contains("rcpt <suzuki@example.jp>: continue"))
            #expect(accepted.output.contains("header Subject: continue"))
            #expect(accepted.output.contains("eom: continue\n  add header X-Sekisho-Example: yes"))
            #expect(accepted.output.contains("result: accepted (decided at eom)"))
            #expect(accepted.output.contains("X-Sekisho-Example: yes\r\n\r\n"), "the delivered message carries the header")

            let rejected = try await ProcessRunner.run(sekisho, ["milter-test", "--milter", "inet:127.0.0.1:\(port)", message, "--from", "reject@example.com", "--rcpt", "x@example.org"])
            #expect(rejected.status == 1)
            #expect(rejected.output.contains("mail <reject@example.com>: reply 550 5.7.1 rejected by example"))

            let unreachable = try await ProcessRunner.run(sekisho, ["milter-test", "--milter", "inet:\(FreePort.next())@127.0.0.1", message, "--timeout", "2"])
            #expect(unreachable.status == 2)
        }
    }

    @Test("sekisho bench milter drives the example milter and reports rate and latency")
    func benchCommand() async throws {
        let sekisho = TestEnvironment.binary("sekisho")
        try await withExampleMilter { port in
            let result = try await ProcessRunner.run(sekisho, ["bench", "milter", "--milter", "inet:\(port)@127.0.0.1", "--connections", "4", "--duration", "1", "--warmup", "0.2"])
            #expect(result.status == 0, "\(result.output)\(result.error)")
            #expect(result.output.contains("messages/s:"))
            #expect(result.output.contains("errors: 0"))
            let line = try #require(result.output.split(separator: "\n").first { $0.hasPrefix("RESULT ") })
            let mps = line.split(separator: " ").first { $0.hasPrefix("mps=") }.flatMap { Double($0.dropFirst(4)) } ?? 0
            #expect(mps > 10, "\(line)")
        }
    }

    @Test("running out of file descriptors does not stop the server")
    func descriptorExhaustion() async throws {
        let binary = TestEnvironment.binary("example-milter")
        let sekisho = TestEnvironment.binary("sekisho")
        guard TestEnvironment.hasExecutable("/usr/bin/prlimit") else { throw MissingComponent("prlimit (util-linux)") }
        let port = FreePort.next()
        let milter = try ProcessRunner.start("/usr/bin/prlimit", ["--nofile=48:48", binary, "--listen", "inet:\(port)@127.0.0.1"], log: "/tmp/sekisho-nofile-\(port).log")
        guard await FreePort.waitUntilOpen(port) else {
            await milter.stop()
            throw TestFailure("example-milter did not listen: \(milter.output)")
        }
        // 80 sessions at once against 48 descriptors: some fail, the server must survive.
        let flood = try await ProcessRunner.run(sekisho, ["bench", "connections", "--milter", "inet:\(port)@127.0.0.1", "--count", "80", "--hold", "0.5", "--timeout", "3"])
        #expect(flood.output.contains("opened"), "\(flood.output)\(flood.error)")
        try await Task.sleep(for: .seconds(1))
        let after = try await ProcessRunner.run(sekisho, ["milter-test", "--milter", "inet:\(port)@127.0.0.1", TestEnvironment.packageRoot.appendingPathComponent("Tests/MilterTests/Fixtures/japanese.eml").path])
        #expect(after.status == 0, "\(after.output)\(after.error)\n\(milter.output)")
        #expect(milter.process.isRunning)
        #expect(milter.output.contains("open-file limit 48 is below the connection limit"))
        await milter.stop()
    }

    @Test(
        "through a real Postfix and a real Sendmail 8.17: the header is added, reject@example.com is refused (Sendmail puts the address first), command-line mail through Sendmail's submission program is filtered",
        arguments: MailRigKind.testable
    )
    func throughMTA(_ kind: MailRigKind) async throws {
        guard kind.canRun else { throw MissingComponent(kind.requirement) }
        try await withExampleMilter { port in
            let rig = try await kind.start(milter: "inet:127.0.0.1:\(port)")
            do {
                let subject = marker("example")
                let accepted = try await smtpSend(port: rig.smtpPort, from: "a@example.com", to: ["b@example.org"], subject: subject)
                #expect(accepted.replies["end"]?.code == 250)
                let delivered = try #require(await rig.deliveredMessage(containing: subject, timeout: 30))
                #expect(delivered.contains("\nX-Sekisho-Example: yes\n"))
                let rejected = try await smtpSend(port: rig.smtpPort, from: "reject@example.com", to: ["b@example.org"], subject: marker("rejected"))
                let refusal = kind == .postfix ? "550 5.7.1 rejected by example" : "550 5.7.1 <reject@example.com>... rejected by example"
                #expect(rejected.replies["mail"]?.lines == [refusal])
                if let sendmail = rig as? SendmailRig {
                    // Sendmail filters SMTP input only: command-line mail goes through the MSP.
                    let submitted = marker("submitted")
                    #expect(try await sendmail.submit(Array("Subject: \(submitted)\n\nfrom the command line\n".utf8), from: "a@example.com", to: ["b@example.org"]) == 0)
                    let viaSubmission = try #require(await sendmail.deliveredMessage(containing: submitted))
                    #expect(viaSubmission.contains("\nX-Sekisho-Example: yes\n"))
                }
            } catch {
                await rig.stop()
                throw error
            }
            await rig.stop()
        }
    }
}

/// The fuzzer's seed corpus replays cleanly (the fuzz run itself is in docs/fuzzing.md).
@Suite("Fuzz seed corpus")
struct FuzzSeedTests {
    @Test("milter-fuzz replays Fuzz/seeds without a crash")
    func replaySeeds() async throws {
        let binary = try TestEnvironment.builtBinary("milter-fuzz")
        let seeds = TestEnvironment.packageRoot.appendingPathComponent("Fuzz/seeds").path
        let result = try await ProcessRunner.run(binary, [seeds])
        #expect(result.status == 0, "\(result.output)\(result.error)")
        #expect(result.output.contains("replayed"))
    }
}

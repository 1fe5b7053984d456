import Foundation
import Outbound
import TestSupport
import Testing

/// `sekisho queue …` as a user runs it (the built binary).
@Suite(
    "sekisho queue command",
    .enabled(if: TestEnvironment.hasExecutable(TestEnvironment.binary("sekisho")) || TestEnvironment.isCI)
)
struct QueueCommandTests {
    static func sekisho(_ arguments: [String]) async throws -> ProcessRunner.Result {
        let binary = try TestEnvironment.builtBinary("sekisho")
        return try await ProcessRunner.run(binary, arguments, timeout: 60)
    }

    @Test("enqueue, list (text and JSON), retry, drop")
    func manage() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let location = ["--database", "\(directory.path)/q.sqlite", "--spool", "\(directory.path)/spool"]
        let message = "\(directory.path)/m.eml"
        try Data(testMessage(marker: "cli").map { $0 }).write(to: URL(fileURLWithPath: message))

        let enqueued = try await Self.sekisho(["queue", "enqueue"] + location + [
            "--from", "a@example.com", "--to", "b@example.org", "--to", "c@example.org",
            "--relay", "127.0.0.1:2525", "--starttls", "required", "--tls-verify", "none", message,
        ])
        #expect(enqueued.status == 0, "\(enqueued.error)")
        let id = try #require(Int64(enqueued.output.trimmingCharacters(in: .whitespacesAndNewlines)))

        let list = try await Self.sekisho(["queue", "list"] + location)
        #expect(list.output.contains("\(id)  age "))
        #expect(list.output.contains("to: b@example.org (pending), c@example.org (pending)"))
        #expect(list.output.contains("relay: 127.0.0.1:2525 (starttls=required, verify=none)"))

        let json = try await Self.sekisho(["queue", "list", "--json"] + location)
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let entries = try decoder.decode([QueueEntry].self, from: Data(json.output.utf8))
        #expect(entries.map(\.id) == [id])
        #expect(entries.first?.recipients.map(\.address.value) == ["b@example.org", "c@example.org"])
        #expect(entries.first?.origin == "cli")

        #expect(try await Self.sekisho(["queue", "retry", "\(id)"] + location).status == 0)
        #expect(try await Self.sekisho(["queue", "retry", "--all"] + location).output.contains("1 entries due now"))
        #expect(try await Self.sekisho(["queue", "retry"] + location).status != 0, "an id or --all")
        #expect(try await Self.sekisho(["queue", "drop", "\(id)"] + location).status == 0)
        #expect(try await Self.sekisho(["queue", "drop", "\(id)"] + location).status != 0)
        #expect(try await Self.sekisho(["queue", "list"] + location).output.contains("queue is empty"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: "\(directory.path)/spool/msg").isEmpty)

        let bad = try await Self.sekisho(["queue", "enqueue"] + location + ["--from", "a@example.com", "--to", "b<@x", message])
        #expect(bad.status != 0)
        #expect(bad.error.contains("--to"))
    }

    @Test("run --until-empty delivers and exits 0; SIGTERM stops a waiting runner with exit 0")
    func run() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let location = ["--database", "\(directory.path)/q.sqlite", "--spool", "\(directory.path)/spool"]
        let queue = try await OutboundQueue.open(databasePath: "\(directory.path)/q.sqlite", spoolPath: "\(directory.path)/spool")
        for index in 0..<3 {
            try await queue.enqueue(EnqueueRequest(sender: address("a@example.com"), recipients: [address("b@example.org")], message: .bytes(testMessage(marker: "run\(index)"))))
        }
        try await ScriptedSMTPServer.withServer(respond: { standardReply($0) }) { server in
            let relay = ["--relay", "127.0.0.1:\(server.port)", "--starttls", "none", "--poll-interval", "0.2"]
            let result = try await Self.sekisho(["queue", "run"] + location + relay + ["--until-empty"])
            #expect(result.status == 0, "\(result.error)")
            #expect(server.messages.count == 3)
            #expect(server.connections == 1, "one connection for the batch")
            #expect(result.error.contains("delivery complete"))
            #expect(result.error.contains("outbound.entry=1"))
        }
        #expect(try await queue.statistics().depth == 0)

        // A runner with nothing to do waits; SIGTERM ends it cleanly. A second runner is refused.
        let binary = TestEnvironment.binary("sekisho")
        let runner = try ProcessRunner.start(binary, ["queue", "run"] + location + ["--relay", "127.0.0.1:1", "--poll-interval", "0.2"], log: "\(directory.path)/run.log")
        #expect(await OutboundPostfix.wait(timeout: .seconds(30)) { runner.output.contains("outbound delivery started") })
        let second = try await Self.sekisho(["queue", "run"] + location + ["--relay", "127.0.0.1:1", "--until-empty"])
        #expect(second.status != 0)
        #expect(second.error.contains("another delivery service is running"))
        kill(runner.pid, SIGTERM)
        #expect(await runner.waitForExit(timeout: 30) == 0, "\(runner.output)")
    }

    @Test("run: infinite, NaN, huge or out-of-range numbers are refused by name, never a crash", arguments: [
        ["--poll-interval", "inf"], ["--retry-initial", "nan"], ["--max-age", "1e300"], ["--smtp-timeout=-1"],
        ["--retry-jitter", "2"], ["--retry-factor", "0.5"], ["--retry-max=-inf"], ["--concurrency", "0"],
    ])
    func invalidNumbers(option: [String]) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let location = ["--database", "\(directory.path)/q.sqlite", "--spool", "\(directory.path)/spool"]
        let result = try await Self.sekisho(["queue", "run"] + location + ["--relay", "127.0.0.1:1", "--until-empty"] + option)
        let name = String(option[0].prefix { $0 != "=" })
        #expect(result.status == 64, "a usage error (EX_USAGE), not a trap: \(result.error)")
        #expect(result.error.contains("\(name): must be"), "\(result.error)")
        #expect(!FileManager.default.fileExists(atPath: "\(directory.path)/q.sqlite"), "refused before anything is opened")
    }

    @Test("run: the AUTH password file is read without its line end (LF or CRLF)")
    func passwordFile() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let location = ["--database", "\(directory.path)/q.sqlite", "--spool", "\(directory.path)/spool"]
        let passwordFile = "\(directory.path)/password"
        try Data("s3cret\r\nnot part of it\n".utf8).write(to: URL(fileURLWithPath: passwordFile))
        let queue = try await OutboundQueue.open(databasePath: "\(directory.path)/q.sqlite", spoolPath: "\(directory.path)/spool")
        try await queue.enqueue(EnqueueRequest(sender: address("a@example.com"), recipients: [address("b@example.org")], message: .bytes(testMessage(marker: "auth"))))
        try await ScriptedSMTPServer.withServer(respond: { event in
            guard case .command(let line) = event else { return standardReply(event) }
            if line == "AUTH PLAIN AHVzZXIAczNjcmV0" { return "235 2.7.0 Authentication successful" }
            if line.hasPrefix("AUTH") { return "535 5.7.8 Error: authentication failed" }
            return standardReply(event, keywords: ["PIPELINING", "AUTH PLAIN"])
        }) { server in
            // A wrong password would be refused; the entry then expires after a second and is dropped.
            let result = try await Self.sekisho(["queue", "run"] + location + [
                "--relay", "127.0.0.1:\(server.port)", "--starttls", "none", "--poll-interval", "0.2", "--until-empty",
                "--auth-user", "user", "--auth-password-file", passwordFile, "--allow-plaintext-auth",
                "--max-age", "1", "--retry-initial", "0.2", "--retry-max", "0.2", "--failure-policy", "drop",
            ])
            #expect(result.status == 0, "\(result.error)")
            #expect(server.commands.filter { $0.hasPrefix("AUTH") } == ["AUTH PLAIN AHVzZXIAczNjcmV0"])
            #expect(server.messages.count == 1)
        }
    }
}

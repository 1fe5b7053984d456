import Daemon
import Foundation
import Logging
import Milter
import ServiceLifecycle
import TestSupport
import Testing

@Suite("Gateway composition root")
struct GatewayTests {
    @Test("buildServices on port 0: the gateway passes mail and logs one line per message with the queue id")
    func passesMail() async throws {
        let logs = LogCapture()
        let state = "/tmp/sekisho-gateway-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: state) }
        var configuration = GatewayConfiguration(milterListeners: [.inet(host: "127.0.0.1", port: 0)], stateDirectory: state)
        configuration.webListen = nil
        let (addresses, continuation) = AsyncStream<MilterSocketAddress>.makeStream()
        let services = try await Gateway.buildServices(configuration: configuration, logger: logs.logger(level: .info)) { continuation.yield($0) }
        #expect(FileManager.default.fileExists(atPath: state))
        let group = ServiceGroup(services: services, logger: logs.logger(level: .warning))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = addresses.makeAsyncIterator()
            let address = try #require(await iterator.next())
            try await MilterClient.withSession(to: address) { session in
                _ = try await session.connect(hostname: "client.example.net", address: .inet(address: "203.0.113.7", port: 40000))
                let transaction = MilterTransaction(
                    message: Array("Subject: gateway\r\n\r\nbody\r\n".utf8),
                    sender: EnvelopeAddress(raw: "<a@example.com>"),
                    recipients: [EnvelopeAddress(raw: "<b@example.org>"), EnvelopeAddress(raw: "<c@example.org>")],
                    macros: [.endOfMessage: [MilterMacro(name: "i", value: "4XyZ1")]]
                )
                let result = try await session.send(transaction)
                #expect(result.decision == .continue)
                #expect(result.modifications.isEmpty)
            }
            await group.triggerGracefulShutdown()
            try await tasks.next()
        }
        let line = try #require(logs.records(containing: "message passed").first)
        #expect(line.metadata["mail.queue_id"] == "4XyZ1")
        #expect(line.metadata["mail.rcpt_count"] == "2")
        #expect(line.metadata["mail.from"] == "a@example.com")
    }

    @Test("the Postfix lines point at the listener in Postfix's spelling")
    func postfixLines() {
        let lines = Gateway.postfixLines(for: .inet(host: "127.0.0.1", port: 10029))
        #expect(lines.contains("smtpd_milters = inet:127.0.0.1:10029"))
        #expect(lines.contains("milter_protocol = 6"))
        #expect(Gateway.postfixLines(for: .unix(path: "/run/sekisho.sock")).first == "smtpd_milters = unix:/run/sekisho.sock")
    }

    @Test("swift run sekishod's defaults: milter on inet:8898@127.0.0.1, web 127.0.0.1:8899, state in ./var, tempfail")
    func embeddedDefaults() {
        let defaults = GatewayConfiguration.embeddedDefaults
        #expect(defaults.milterListeners == [.inet(host: "127.0.0.1", port: 8898)])
        #expect(defaults.webListen == "127.0.0.1:8899")
        #expect(defaults.stateDirectory == "./var")
        #expect(defaults.failureVerdict == .tempfail)
    }
}

@Suite("sekishod binary")
struct SekishodBinaryTests {
    @Test("sekishod prints the Postfix lines for its socket, serves, and exits 0 on SIGTERM")
    func runsAndStops() async throws {
        let binary = try TestEnvironment.builtBinary("sekishod")
        let port = FreePort.next()
        let state = "/tmp/sekisho-daemon-\(getpid())-\(port)"
        defer { try? FileManager.default.removeItem(atPath: state) }
        let daemon = try ProcessRunner.start(binary, ["--listen", "inet:\(port)@127.0.0.1", "--state-directory", state, "--web", "off"], log: "\(state).log")
        guard await FreePort.waitUntilOpen(port) else {
            await daemon.stop()
            throw MissingComponent("sekishod did not listen: \(daemon.output)")
        }
        try await Task.sleep(for: .milliseconds(200))
        #expect(daemon.output.contains("smtpd_milters = inet:127.0.0.1:\(port)"), "\(daemon.output)")
        #expect(daemon.output.contains("milter_protocol = 6"))
        try await MilterClient.withSession(to: .inet(host: "127.0.0.1", port: port)) { session in
            _ = try await session.connect(hostname: "h", address: .unknown)
            let result = try await session.send(
                MilterTransaction(message: Array("Subject: x\r\n\r\nbody\r\n".utf8), sender: EnvelopeAddress(raw: "<a@b>"), recipients: [EnvelopeAddress(raw: "<c@d>")])
            )
            #expect(result.decision == .continue)
        }
        daemon.process.terminate()
        #expect(await daemon.waitForExit() == 0, "\(daemon.output)")
        await daemon.stop()
        #expect(FileManager.default.fileExists(atPath: state))
    }
}

@Suite("sekishod reload")
struct SekishodReloadTests {
    static func policy(_ value: String) -> String {
        "rules:\n  - name: mark\n    actions:\n      - header: {name: X-Policy, value: \"\(value)\"}\n"
    }

    func headerValue(port: Int) async throws -> String? {
        try await MilterClient.withSession(to: .inet(host: "127.0.0.1", port: port)) { session in
            _ = try await session.connect(hostname: "h", address: .inet(address: "192.0.2.1", port: 1))
            let result = try await session.send(
                MilterTransaction(message: Array("Subject: x\r\n\r\nbody\r\n".utf8), sender: EnvelopeAddress(raw: "<a@b.example>"), recipients: [EnvelopeAddress(raw: "<c@d.example>")])
            )
            for modification in result.modifications {
                if case .addHeader(name: "X-Policy", let value) = modification { return value }
            }
            return nil
        }
    }

    @Test("SIGHUP: a broken policy is reported and the running one kept; a valid one takes over")
    func reload() async throws {
        let running = try await RunningSekishod.start(policy: Self.policy("first"))
        let (daemon, port, config) = (running.daemon, running.port, running.config)
        defer { try? FileManager.default.removeItem(atPath: running.state) }
        defer { Task { await daemon.stop() } }
        #expect(try await headerValue(port: port) == "first")

        try "rules:\n  - name: mark\n    actions: [nonexistent]\n".write(toFile: config, atomically: true, encoding: .utf8)
        kill(daemon.pid, SIGHUP)
        try await waitFor { daemon.output.contains("policy not reloaded") }
        #expect(daemon.output.contains("policy.yaml:3: rules[0].actions[0]"), "\(daemon.output)")
        #expect(try await headerValue(port: port) == "first")

        try Self.policy("second").write(toFile: config, atomically: true, encoding: .utf8)
        kill(daemon.pid, SIGHUP)
        try await waitFor { daemon.output.contains("policy reloaded") }
        #expect(try await headerValue(port: port) == "second")

        daemon.process.terminate()
        #expect(await daemon.waitForExit() == 0, "\(daemon.output)")
    }

    func waitFor(_ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            if condition() { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("condition not met in time")
    }
}

@Suite("sekishod logging")
struct SekishodLoggingTests {
    @Test("logging.format: json writes one JSON object per line with the metadata")
    func jsonLogs() async throws {
        let running = try await RunningSekishod.start(policy: "logging:\n  level: info\n  format: json\n")
        let (daemon, port) = (running.daemon, running.port)
        defer { try? FileManager.default.removeItem(atPath: running.state) }
        try await Task.sleep(for: .milliseconds(200))
        daemon.process.terminate()
        #expect(await daemon.waitForExit() == 0)
        let line = try #require(daemon.output.split(separator: "\n").first { $0.hasPrefix("{") && $0.contains("milter listening") })
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
        #expect(object["level"] == "info")
        #expect(object["milter.listen"] == "inet:\(port)@127.0.0.1")
        await daemon.stop()
    }
}

/// A sekishod process on a free port with a state directory of its own, and a policy file when
/// one is given; the caller removes `state` and stops `daemon`.
struct RunningSekishod {
    let daemon: ProcessRunner.Background
    let port: Int
    let state: String
    var config: String { "\(state)/policy.yaml" }

    static func start(policy: String? = nil) async throws -> RunningSekishod {
        let binary = try TestEnvironment.builtBinary("sekishod")
        let port = FreePort.next()
        let state = "/tmp/sekisho-daemon-\(getpid())-\(port)"
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        var arguments = ["--listen", "inet:\(port)@127.0.0.1", "--state-directory", state, "--web", "off"]
        if let policy {
            try policy.write(toFile: "\(state)/policy.yaml", atomically: true, encoding: .utf8)
            arguments += ["--config", "\(state)/policy.yaml"]
        }
        let daemon = try ProcessRunner.start(binary, arguments, log: "\(state).log")
        guard await FreePort.waitUntilOpen(port) else {
            await daemon.stop()
            throw MissingComponent("sekishod did not listen: \(daemon.output)")
        }
        return RunningSekishod(daemon: daemon, port: port, state: state)
    }
}

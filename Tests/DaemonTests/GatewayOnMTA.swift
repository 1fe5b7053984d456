import Daemon
import Foundation
import Logging
import Milter
import ServiceLifecycle
import TestSupport

/// A private MTA (Postfix by default, or Sendmail) whose SMTP server calls an in-process
/// gateway running `policy` (given the MTA's milter-free reinjection port), for the end-to-end
/// suites.
enum GatewayOnMTA {
    static func run(
        on kind: MailRigKind = .postfix, policy: (_ reinjectionPort: Int) -> String, logs: LogCapture = LogCapture(), _ body: (any MailRig) async throws -> Void
    ) async throws {
        guard kind.canRun else { throw MissingComponent(kind.requirement) }
        let milterPort = FreePort.next()
        let rig = try await kind.start(milter: "inet:127.0.0.1:\(milterPort)")
        let state = "/tmp/sekisho-e2e-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: state) }
        do {
            try await runGateway(policy: policy(rig.plainPort), milterPort: milterPort, state: state, logs: logs) { try await body(rig) }
        } catch {
            await rig.stop()
            throw error
        }
        await rig.stop()
    }

    private static func runGateway(
        policy: String, milterPort: Int, state: String, logs: LogCapture, _ body: () async throws -> Void
    ) async throws {
        var configuration = try ConfigurationLoader.parse(policy)
        configuration.milterListeners = [.inet(host: "127.0.0.1", port: milterPort)]
        configuration.stateDirectory = state
        configuration.webListen = nil
        let (ready, continuation) = AsyncStream<MilterSocketAddress>.makeStream()
        let services = try await Gateway.buildServices(configuration: configuration, logger: logs.logger(level: .info)) { continuation.yield($0) }
        let group = ServiceGroup(services: services, logger: logs.logger(level: .warning))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ready.makeAsyncIterator()
            _ = await iterator.next()
            do {
                try await body()
            } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.next()
        }
    }

    /// What smtp-sink received: the recipients (X-Rcpt-Args) and the file's text.
    struct SinkMessage {
        var recipients: [String]
        var sender: String
        var text: String
        var bytes: [UInt8]
    }

    static func sinkMessages(_ rig: any MailRig) -> [SinkMessage] {
        rig.sinkFiles().compactMap { path in
            guard let data = FileManager.default.contents(atPath: path) else { return nil }
            let text = String(decoding: data, as: UTF8.self)
            func addresses(_ prefix: String) -> [String] {
                text.split(separator: "\n").prefix(40).filter { $0.hasPrefix(prefix) }.map { line in
                    String(line.drop { $0 != "<" }.dropFirst().prefix { $0 != ">" })
                }
            }
            return SinkMessage(recipients: addresses("X-Rcpt-Args:").sorted(), sender: addresses("X-Mail-Args:").first ?? "", text: text, bytes: [UInt8](data))
        }
    }

    /// Waits until `done` holds for the sink's messages (or 90 s), then until the MTA has
    /// finished its deliveries (a sink file may still be being written), and returns them.
    static func waitForSink(_ rig: any MailRig, until done: ([SinkMessage]) -> Bool) async throws -> [SinkMessage] {
        let deadline = ContinuousClock.now + .seconds(90)
        var messages = sinkMessages(rig)
        while !done(messages) && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(300))
            messages = sinkMessages(rig)
        }
        _ = await rig.waitForQueue(timeout: 30)
        return sinkMessages(rig)
    }
}

import ArgumentParser
import Foundation
import Milter
import NIOCore
import NIOPosix

/// `sekisho bench milter`: a load generator on the MTA-side client. Each connection negotiates,
/// connects, says HELO and then sends messages (MAIL … EOM, ABORT) back to back, as Postfix
/// does; latency is measured per message from MAIL to the end-of-message reply.
struct BenchMilterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "milter",
        abstract: "Drive a milter with many concurrent sessions and report messages/s and latency."
    )

    @OptionGroup var connection: MilterSpecOptions

    @Option(help: "Concurrent milter connections.")
    var connections = 8

    @Option(help: "Messages per milter connection before QUIT and a new connection.")
    var messagesPerConnection = 10

    @Option(help: "Body size in bytes.")
    var bodySize = 4096

    @Option(help: "Header fields per message.")
    var headers = 10

    @Option(help: "Recipients per message.")
    var recipients = 1

    @Option(help: "Measured seconds.")
    var duration: Double = 10

    @Option(help: "Warm-up seconds before measuring.")
    var warmup: Double = 1

    @Option(help: "Client event loop threads.")
    var threads = 1

    func run() async throws {
        guard connections > 0, messagesPerConnection > 0, duration > 0 else {
            throw ValidationError("connections, messages per connection and duration must be positive")
        }
        let address = try connection.address()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, threads))
        var clientConfiguration = connection.clientConfiguration()
        clientConfiguration.eventLoopGroup = group
        let transaction = BenchMessage(bodySize: bodySize, headers: headers, recipients: recipients).transaction
        let clock = ContinuousClock()
        let start = clock.now
        let measureFrom = start + .milliseconds(Int64(warmup * 1000))
        let end = measureFrom + .milliseconds(Int64(duration * 1000))
        let messagesPerConnection = self.messagesPerConnection
        let configuration = clientConfiguration

        let results = await withTaskGroup(of: BenchWorkerResult.self) { group in
            for worker in 0..<connections {
                group.addTask {
                    await BenchWorker(
                        id: worker,
                        address: address,
                        configuration: configuration,
                        transaction: transaction,
                        messagesPerConnection: messagesPerConnection,
                        measureFrom: measureFrom,
                        end: end
                    ).run()
                }
            }
            var all = BenchWorkerResult()
            for await result in group { all.merge(result) }
            return all
        }
        try? await group.shutdownGracefully()
        let report = BenchReport(results: results, seconds: duration)
        print(report.text(connections: connections, bodySize: bodySize, headers: headers))
        if results.messages == 0 {
            throw ExitCode(2)
        }
    }
}

/// One concurrent connection's loop.
struct BenchWorker {
    let id: Int
    let address: MilterSocketAddress
    let configuration: MilterClient.Configuration
    let transaction: MilterTransaction
    let messagesPerConnection: Int
    let measureFrom: ContinuousClock.Instant
    let end: ContinuousClock.Instant

    func run() async -> BenchWorkerResult {
        var result = BenchWorkerResult()
        let clock = ContinuousClock()
        while clock.now < end {
            do {
                try await MilterClient.withSession(to: address, configuration: configuration) { session in
                    _ = try await session.connect(
                        hostname: "client\(id).example.net",
                        address: .inet(address: "203.0.113.\(id % 250 + 1)", port: UInt16(40_000 + id % 20_000)),
                        macros: BenchMessage.connectMacros
                    )
                    _ = try await session.helo("client\(id).example.net", macros: [])
                    for _ in 0..<messagesPerConnection {
                        let started = clock.now
                        if started >= end { break }
                        let outcome = try await session.send(transaction)
                        let finished = clock.now
                        if started >= measureFrom && finished <= end {
                            result.record(outcome.decision, latency: finished - started, modifications: outcome.modifications.count)
                        }
                    }
                }
                if clock.now >= measureFrom { result.connections += 1 }
            } catch {
                result.errors += 1
                if result.firstError == nil { result.firstError = "\(error)" }
                try? await Task.sleep(for: .milliseconds(10))
            }
        }
        return result
    }
}

/// Counters and latencies of one or all workers.
struct BenchWorkerResult: Sendable {
    var messages = 0
    var connections = 0
    var errors = 0
    var firstError: String?
    var decisions: [String: Int] = [:]
    var modifications = 0
    var latencies: [Double] = []

    mutating func record(_ decision: MilterResponse, latency: Duration, modifications: Int) {
        messages += 1
        self.modifications += modifications
        let key: String
        switch decision {
        case .continue: key = "continue"
        case .accept: key = "accept"
        case .reject: key = "reject"
        case .tempfail: key = "tempfail"
        case .discard: key = "discard"
        case .replyCode: key = "reply"
        default: key = "other"
        }
        decisions[key, default: 0] += 1
        let (seconds, attoseconds) = latency.components
        latencies.append(Double(seconds) * 1000 + Double(attoseconds) / 1e15)
    }

    mutating func merge(_ other: BenchWorkerResult) {
        messages += other.messages
        connections += other.connections
        errors += other.errors
        firstError = firstError ?? other.firstError
        modifications += other.modifications
        for (key, count) in other.decisions { decisions[key, default: 0] += count }
        latencies += other.latencies
    }
}

/// The printed summary.
struct BenchReport {
    let results: BenchWorkerResult
    let seconds: Double

    func percentile(_ sorted: [Double], _ fraction: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let index = min(sorted.count - 1, Int((Double(sorted.count) * fraction).rounded(.up)) - 1)
        return sorted[max(0, index)]
    }

    func text(connections: Int, bodySize: Int, headers: Int) -> String {
        let sorted = results.latencies.sorted()
        let rate = Double(results.messages) / seconds
        let decisions = results.decisions.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        var lines = [
            String(format: "messages/s: %.1f  (%d messages in %.1f s, %d connections, body %d bytes, %d headers)",
                   rate, results.messages, seconds, connections, bodySize, headers),
            String(format: "latency ms: p50 %.3f  p99 %.3f  max %.3f",
                   percentile(sorted, 0.5), percentile(sorted, 0.99), sorted.last ?? 0),
            "decisions: \(decisions.isEmpty ? "none" : decisions)  modifications: \(results.modifications)  errors: \(results.errors)",
            String(format: "RESULT mps=%.1f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f msgs=%d errors=%d",
                   rate, percentile(sorted, 0.5), percentile(sorted, 0.99), sorted.last ?? 0, results.messages, results.errors),
        ]
        if let first = results.firstError { lines.append("first error: \(first)") }
        return lines.joined(separator: "\n")
    }
}

/// The synthetic message: Postfix-style macros, N headers, a body of the given size.
struct BenchMessage {
    let transaction: MilterTransaction

    static let connectMacros = [
        MilterMacro(name: "j", value: "mx.sekisho.test"),
        MilterMacro(name: "{daemon_name}", value: "mx.sekisho.test"),
        MilterMacro(name: "v", value: "Postfix 3.7.11"),
        MilterMacro(name: "_", value: "client.example.net [203.0.113.7]"),
    ]

    init(bodySize: Int, headers: Int, recipients: Int) {
        var message = ""
        let fixed = [
            "From: Bench Sender <sender@example.com>", "To: Bench Recipient <recipient@example.org>",
            "Subject: sekisho bench message", "Date: Sun, 29 Nov 2026 06:00:00 +0000",
            "Message-ID: <bench@example.com>", "MIME-Version: 1.0", "Content-Type: text/plain; charset=us-ascii",
        ]
        for index in 0..<headers {
            message += index < fixed.count ? fixed[index] : "X-Bench-\(index): value \(index)"
            message += "\r\n"
        }
        message += "\r\n"
        var body = ""
        let line = "The quick brown fox jumps over the lazy dog 0123456789 abcdefghij.\r\n"
        while body.utf8.count < bodySize { body += line }
        message += String(body.utf8.prefix(bodySize))!
        let queue = [MilterMacro(name: "i", value: "BENCHQUEUEID")]
        transaction = MilterTransaction(
            message: Array(message.utf8),
            sender: EnvelopeAddress(raw: "<sender@example.com>", parameters: ["SIZE=\(bodySize)"]),
            recipients: (0..<max(1, recipients)).map { EnvelopeAddress(raw: "<recipient\($0)@example.org>") },
            macros: [
                .mail: [MilterMacro(name: "{auth_authen}", value: ""), MilterMacro(name: "{mail_addr}", value: "sender@example.com")],
                .recipient: queue + [MilterMacro(name: "{rcpt_addr}", value: "recipient@example.org")],
                .data: queue, .endOfHeaders: queue, .endOfMessage: queue,
            ]
        )
    }
}

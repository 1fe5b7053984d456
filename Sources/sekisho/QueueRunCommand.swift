import ArgumentParser
import Foundation
import Logging
import Outbound
import ServiceLifecycle
import UnixSignals

/// `sekisho queue run`: the delivery service in the foreground until SIGTERM/SIGINT.
struct QueueRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Deliver the queue until signalled (SIGTERM/SIGINT finish the messages in progress).",
        discussion: "Entries queued without a relay, and delivery reports, go to --relay."
    )

    @OptionGroup var location: QueueLocationOptions
    @OptionGroup var relay: RelayOptions

    @Option(help: "The name sent with EHLO and used in reports (default: this host's name).")
    var heloName: String?

    @Option(help: "Connections at once.")
    var concurrency = 4

    @Option(help: "Messages per connection.")
    var batchSize = 20

    @Option(help: "Seconds between checks for due entries.")
    var pollInterval = 2.0

    @Option(help: "Seconds before the first retry.")
    var retryInitial = 300.0

    @Option(help: "Factor between retries.")
    var retryFactor = 2.0

    @Option(help: "Longest retry delay in seconds.")
    var retryMax = 3600.0

    @Option(help: "Random shortening of a retry delay, 0–1.")
    var retryJitter = 0.1

    @Option(help: "Seconds a message may stay queued before it fails (default 5 days).")
    var maxAge = 432_000.0

    @Option(help: "Permanent failures: bounce, drop or notify:ADDRESS.")
    var failurePolicy = "bounce"

    @Option(help: "AUTH user name.")
    var authUser: String?

    @Option(help: "File holding the AUTH password (its first line, without the line end).")
    var authPasswordFile: String?

    @Flag(help: "Allow AUTH on a connection without TLS.")
    var allowPlaintextAuth = false

    @Option(help: "Seconds each SMTP phase may take (default: RFC 5321's per-phase limits).")
    var smtpTimeout: Double?

    @Flag(help: "Exit once the queue is empty.")
    var untilEmpty = false

    @Option(help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel = "info"

    /// The longest duration any option may give: 10 years.
    static let longest = 10 * 365 * 86_400.0

    /// Every number checked before it becomes a `Duration` (an infinite, NaN or huge value would
    /// trap when converted), naming the option.
    func validate() throws {
        try Self.check("--poll-interval", pollInterval, 0.001...86_400)
        try Self.check("--retry-initial", retryInitial, 0.001...Self.longest)
        try Self.check("--retry-factor", retryFactor, 1...1000)
        try Self.check("--retry-max", retryMax, 0.001...Self.longest)
        try Self.check("--retry-jitter", retryJitter, 0...1)
        try Self.check("--max-age", maxAge, 1...Self.longest)
        if let smtpTimeout { try Self.check("--smtp-timeout", smtpTimeout, 0.001...86_400) }
        guard (1...256).contains(concurrency) else { throw ValidationError("--concurrency: must be 1–256") }
        guard (1...10_000).contains(batchSize) else { throw ValidationError("--batch-size: must be 1–10000") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level: expected trace, debug, info, notice, warning, error or critical") }
        if authUser != nil, authPasswordFile == nil { throw ValidationError("--auth-user needs --auth-password-file") }
    }

    private static func check(_ option: String, _ value: Double, _ range: ClosedRange<Double>) throws {
        guard value.isFinite, range.contains(value) else {
            throw ValidationError("\(option): must be a number from \(range.lowerBound) to \(range.upperBound), got \(value)")
        }
    }

    /// The password in a password file: its first line without the line end (LF or CRLF).
    static func password(fromFile contents: Data) -> String {
        var line = contents[...]
        if let end = line.firstIndex(of: UInt8(ascii: "\n")) { line = line[..<end] }
        if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
        return String(decoding: line, as: UTF8.self)
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { var handler = StreamLogHandler.standardError(label: $0); handler.logLevel = level; return handler }
        let logger = Logger(label: "sekisho.queue")
        let queue = try await location.open()
        let service = try DeliveryService(queue: queue, configuration: try makeConfiguration(), logger: logger)
        // With --until-empty the service returns by itself: that ends the group cleanly.
        var group = ServiceGroupConfiguration(
            services: [.init(service: service, successTerminationBehavior: .gracefullyShutdownGroup)],
            logger: logger
        )
        group.gracefulShutdownSignals = [.sigterm, .sigint]
        try await ServiceGroup(configuration: group).run()
    }

    private func makeConfiguration() throws -> DeliveryServiceConfiguration {
        var client = SMTPClientConfiguration(heloName: heloName ?? ProcessInfo.processInfo.hostName)
        if let smtpTimeout { client.timeouts = SMTPTimeouts(all: .milliseconds(Int64(smtpTimeout * 1000))) }
        if let authUser, let authPasswordFile {
            let contents = try Data(contentsOf: URL(fileURLWithPath: authPasswordFile))
            client.credentials = SMTPCredentials(username: authUser, password: Self.password(fromFile: contents))
        }
        client.allowsPlaintextAuthentication = allowPlaintextAuth
        let policy: PermanentFailurePolicy
        do {
            policy = try PermanentFailurePolicy(parsing: failurePolicy)
        } catch {
            throw ValidationError(error.description)
        }
        let configuration = DeliveryServiceConfiguration(
            client: client,
            defaultRelay: try relay.parsed(),
            retry: RetrySchedule(
                initialDelay: seconds(retryInitial), factor: retryFactor, maximumDelay: seconds(retryMax), jitter: retryJitter,
                maximumAge: seconds(maxAge)
            ),
            failurePolicy: policy,
            concurrency: concurrency,
            batchSize: batchSize,
            pollInterval: seconds(pollInterval),
            stopsWhenEmpty: untilEmpty
        )
        do {
            try configuration.validate()
        } catch {
            throw ValidationError(error.description)
        }
        return configuration
    }

    private func seconds(_ value: Double) -> Duration {
        .milliseconds(Int64((value * 1000).rounded()))
    }
}

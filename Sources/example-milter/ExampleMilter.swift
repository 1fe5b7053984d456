import ArgumentParser
import Logging
import Milter
import NIOPosix
import ServiceLifecycle
import UnixSignals

/// `example-milter --listen inet:10029@127.0.0.1`: adds `X-Sekisho-Example: yes` to every message
/// and rejects the sender `reject@example.com` with `550 5.7.1 rejected by example`.
@main
struct ExampleMilter: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "example-milter",
        abstract: "The Sekisho example milter: tags every message, rejects reject@example.com."
    )

    @Option(help: "Socket to listen on: inet:PORT@HOST, inet:HOST:PORT or unix:/path.")
    var listen = "inet:10029@127.0.0.1"

    @Option(help: "Event loop threads (default: one per CPU core).")
    var threads: Int?

    @Option(help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel = "info"

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "example-milter")
        OpenFileLimit.raiseToHardLimit()
        let address = try MilterSocketAddress(parsing: listen)
        var configuration = MilterServer<ExampleFilter>.Configuration(listen: address)
        if let threads {
            configuration.eventLoopGroup = MultiThreadedEventLoopGroup(numberOfThreads: max(1, threads))
        }
        let server = MilterServer(configuration: configuration, logger: logger) { _ in ExampleFilter() }
        let services = ServiceGroup(services: [server], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        try await services.run()
    }
}


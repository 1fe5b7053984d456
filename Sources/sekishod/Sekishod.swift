import ArgumentParser
import Daemon
import Foundation
import Logging
import Milter
import ServiceLifecycle
import UnixSignals

/// `sekishod`: the Sekisho mail gateway daemon.
@main
struct Sekishod: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sekishod", abstract: "The Sekisho mail gateway daemon.")

    @Option(help: "The policy file (YAML; docs/configuration.md). Without it the embedded defaults are used.")
    var config: String?

    @Option(help: "Milter socket (default inet:8898@127.0.0.1).")
    var listen: [String] = []

    @Option(help: "Web listener for /healthz and /metrics, HOST:PORT or off (default 127.0.0.1:8899).")
    var web: String?

    @Option(help: "State directory (default ./var).")
    var stateDirectory: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error (default: the policy file's, else info).")
    var logLevel: String?

    func run() async throws {
        var configuration = GatewayConfiguration.embeddedDefaults
        if let config {
            do { configuration = try ConfigurationLoader.load(file: config) } catch {
                FileHandle.standardError.write(Data("sekishod: \(error)\n".utf8))
                throw ExitCode(1)
            }
        }
        if !listen.isEmpty { configuration.milterListeners = try listen.map { try MilterSocketAddress(parsing: $0) } }
        if let stateDirectory { configuration.stateDirectory = stateDirectory }
        if let web { configuration.webListen = web == "off" ? nil : web }
        let level = Logger.Level(rawValue: logLevel ?? configuration.logging.level) ?? .info
        let json = configuration.logging.format == .json
        LoggingSystem.bootstrap { label in
            if json { return JSONLogHandler(label: label, level: level) }
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "sekishod")
        OpenFileLimit.raiseToHardLimit()
        let state = configuration.stateDirectory
        var (services, policy, _) = try await Gateway.build(configuration: configuration, logger: logger) { address in
            var text = "sekishod: milter listening on \(address) (state in \(state)). Postfix main.cf:\n"
            for line in Gateway.postfixLines(for: address) { text += "    \(line)\n" }
            FileHandle.standardOutput.write(Data(text.utf8))
        }
        if let config { services.append(ConfigurationReloader(file: config, store: policy, logger: logger)) }
        try await ServiceGroup(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger).run()
    }
}

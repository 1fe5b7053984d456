import Logging
import ServiceLifecycle
import UnixSignals

/// Reloads the policy file on SIGHUP. An invalid file is reported (file, line, key) and the
/// running policy is kept; a valid one replaces it for every new SMTP session.
public struct ConfigurationReloader: Service, CustomStringConvertible {
    let file: String
    let store: PolicyStore
    let logger: Logger

    public init(file: String, store: PolicyStore, logger: Logger) {
        self.file = file
        self.store = store
        self.logger = logger
    }

    public var description: String { "ConfigurationReloader(\(file))" }

    public func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        for await _ in signals.cancelOnGracefulShutdown() {
            reload()
        }
    }

    /// Reads and applies the file once (also what SIGHUP does).
    public func reload() {
        do {
            let configuration = try ConfigurationLoader.load(file: file)
            let kept = store.replace(with: configuration)
            logger.notice("policy reloaded", metadata: ["file": "\(file)", "rules": "\(configuration.rules.count)"])
            if !kept.isEmpty {
                logger.warning("settings that need a restart were not changed", metadata: ["keys": "\(kept.joined(separator: ","))"])
            }
        } catch {
            logger.error("policy not reloaded, the running policy is kept", metadata: ["error": "\(error)"])
        }
    }
}

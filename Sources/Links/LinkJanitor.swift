import Foundation
import Logging
import ServiceLifecycle

/// Deletes the blobs of expired and revoked links (``LinkStore/deleteExpired(now:)``) at start
/// and then every `interval`, until graceful shutdown. A failed run is logged and retried at
/// the next interval.
public struct LinkJanitor: Service, CustomStringConvertible {
    let store: LinkStore
    let interval: Duration
    let logger: Logger

    public init(store: LinkStore, interval: Duration, logger: Logger) {
        self.store = store
        self.interval = interval
        self.logger = logger
    }

    public var description: String { "LinkJanitor(every \(interval))" }

    /// Runs until graceful shutdown or cancellation.
    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                let purged = try await store.deleteExpired(now: store.clock())
                if purged > 0 {
                    logger.info(
                        "deleted the files of expired or revoked links", metadata: ["links.purged": "\(purged)"])
                }
            } catch {
                logger.error("link janitor run failed", metadata: ["error": "\(error)"])
            }
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                return
            }
        }
    }
}

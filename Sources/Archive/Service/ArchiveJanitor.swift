import Foundation
import Logging
import NIOPosix
import ServiceLifecycle

/// Deletes archived copies whose retention has ended (never a held one), every `interval`.
public struct ArchiveJanitor: Service {
    let store: ArchiveStore
    let logger: Logger
    let interval: Duration

    public init(store: ArchiveStore, logger: Logger, interval: Duration = .seconds(3600)) {
        self.store = store
        self.logger = logger
        self.interval = interval
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully {
            do {
                let deleted = try await NIOThreadPool.singleton.runIfActive { [store, logger] in try store.purgeExpired(logger: logger) }
                if deleted > 0 { logger.notice("archive retention", metadata: ["deleted": "\(deleted)"]) }
            } catch {
                logger.error("archive retention failed", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}

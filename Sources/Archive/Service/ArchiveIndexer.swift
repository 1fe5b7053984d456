import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Indexes stored copies in batches, behind the gateway: copies are written durably before the
/// MTA is answered and handed here; every `batchDelay` (or `batchSize` copies) one transaction
/// adds them. At start it catches up: every sidecar whose copy is not in the index (a crash
/// between storing and indexing) is indexed first. A copy that fails to index is logged and
/// left for the next catch-up; it is on disk either way.
public final class ArchiveIndexer: Service, Sendable {
    private let store: ArchiveStore
    private let logger: Logger
    private let batchSize: Int
    private let batchDelay: Duration
    private let pending = Mutex<[StoredCopy]>([])
    private let stream: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation
    private let onBacklog: (@Sendable (Int) -> Void)?

    /// `onBacklog` hears the number of copies waiting after each change (a metrics gauge).
    public init(
        store: ArchiveStore, logger: Logger, batchSize: Int = 200, batchDelay: Duration = .milliseconds(200), onBacklog: (@Sendable (Int) -> Void)? = nil
    ) {
        self.onBacklog = onBacklog
        self.store = store
        self.logger = logger
        self.batchSize = batchSize
        self.batchDelay = batchDelay
        (stream, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Queues a durable copy for indexing (returns at once).
    public func submit(_ copy: StoredCopy) {
        let waiting = pending.withLock { queue in
            queue.append(copy)
            return queue.count
        }
        onBacklog?(waiting)
        wake.yield()
    }

    /// Copies queued and not yet indexed.
    public var backlog: Int { pending.withLock { $0.count } }

    public func run() async throws {
        do {
            let caught = try catchUp()
            if caught > 0 { logger.notice("archive index caught up", metadata: ["copies": "\(caught)"]) }
        } catch {
            logger.error("archive catch-up failed", metadata: ["error": "\(error)"])
        }
        await withGracefulShutdownHandler {
            for await _ in stream.cancelOnGracefulShutdown() {
                try? await Task.sleep(for: batchDelay)
                flush()
            }
        } onGracefulShutdown: {
            self.wake.finish()
        }
        flush()
    }

    /// Indexes everything queued now.
    public func flush() {
        while true {
            let batch = pending.withLock { queue -> [StoredCopy] in
                let taken = Array(queue.prefix(batchSize))
                queue.removeFirst(taken.count)
                return taken
            }
            guard !batch.isEmpty else { return }
            index(batch)
            onBacklog?(backlog)
        }
    }

    private func index(_ batch: [StoredCopy]) {
        var documents = [IndexDocument]()
        for copy in batch {
            do {
                documents.append(try store.document(for: copy))
            } catch {
                logger.error("archive copy not indexed", metadata: ["key": "\(copy.key)", "error": "\(error)"])
            }
        }
        do {
            try store.index.add(documents)
        } catch {
            logger.error("archive index write failed; the copies are on disk and are indexed at the next start", metadata: ["copies": "\(documents.count)", "error": "\(error)"])
        }
    }

    /// Indexes every sidecar not in the index yet; returns how many.
    @discardableResult
    public func catchUp() throws -> Int {
        try store.catchUp(batchSize: batchSize, logger: logger)
    }
}

import Foundation
import Logging
import NIOPosix
import ServiceLifecycle
import Synchronization

/// Indexes stored copies in batches, behind the gateway: copies are written durably before the
/// MTA is answered and handed here; every `batchDelay` (or `batchSize` copies) one transaction
/// adds them, on NIO's thread pool (never on the tasks that serve milter sessions). At start,
/// and every `catchUpInterval` after, it catches up: every sidecar whose copy is not in the
/// index (a crash between storing and indexing, a copy that failed to index) is indexed. A
/// failing copy is retried with the next batches, then left to the next catch-up; it is on
/// disk either way.
public final class ArchiveIndexer: Service, Sendable {
    private let store: ArchiveStore
    private let logger: Logger
    private let batchSize: Int
    private let batchDelay: Duration
    private let pending = Mutex<[(copy: StoredCopy, attempts: Int)]>([])
    private let catchUpInterval: Duration
    private let stream: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation
    private let onBacklog: (@Sendable (Int) -> Void)?

    /// `onBacklog` hears the number of copies waiting after each change (a metrics gauge).
    public init(
        store: ArchiveStore, logger: Logger, batchSize: Int = 200, batchDelay: Duration = .milliseconds(200), catchUpInterval: Duration = .seconds(300),
        onBacklog: (@Sendable (Int) -> Void)? = nil
    ) {
        self.catchUpInterval = catchUpInterval
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
            queue.append((copy, 0))
            return queue.count
        }
        onBacklog?(waiting)
        wake.yield()
    }

    /// Copies queued and not yet indexed.
    public var backlog: Int { pending.withLock { $0.count } }

    public func run() async throws {
        await catchUpInBackground()
        let ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: catchUpInterval)
                guard !Task.isCancelled else { return }
                await catchUpInBackground()
            }
        }
        defer { ticker.cancel() }
        await withGracefulShutdownHandler {
            for await _ in stream.cancelOnGracefulShutdown() {
                try? await Task.sleep(for: batchDelay)
                _ = try? await NIOThreadPool.singleton.runIfActive { self.flush() }
            }
        } onGracefulShutdown: {
            self.wake.finish()
        }
        _ = try? await NIOThreadPool.singleton.runIfActive { self.flush() }
    }

    private func catchUpInBackground() async {
        do {
            let caught = try await NIOThreadPool.singleton.runIfActive { try self.catchUp() }
            if caught > 0 { logger.notice("archive index caught up", metadata: ["copies": "\(caught)"]) }
        } catch {
            logger.error("archive catch-up failed", metadata: ["error": "\(error)"])
        }
    }

    /// A copy is tried this often with later batches before it is left to the catch-up.
    static let attempts = 3

    /// Indexes everything queued now.
    public func flush() {
        while true {
            let batch = pending.withLock { queue -> [(copy: StoredCopy, attempts: Int)] in
                let taken = Array(queue.prefix(batchSize))
                queue.removeFirst(taken.count)
                return taken
            }
            guard !batch.isEmpty else { return }
            let failed = index(batch)
            let retry = failed.filter { $0.attempts < Self.attempts }
            if !retry.isEmpty { pending.withLock { $0.append(contentsOf: retry) } }
            onBacklog?(backlog)
            // Only failures left: wait for the next wake-up instead of spinning.
            if failed.count == batch.count { return }
        }
    }

    /// Indexes a batch; returns the copies that failed (with one more attempt counted).
    private func index(_ batch: [(copy: StoredCopy, attempts: Int)]) -> [(copy: StoredCopy, attempts: Int)] {
        var documents = [IndexDocument]()
        var failed = [(copy: StoredCopy, attempts: Int)]()
        var built = [(copy: StoredCopy, attempts: Int)]()
        for entry in batch {
            do {
                documents.append(try store.document(for: entry.copy))
                built.append(entry)
            } catch {
                logger.error("archive copy not indexed yet", metadata: ["key": "\(entry.copy.key)", "attempt": "\(entry.attempts + 1)", "error": "\(error)"])
                failed.append((entry.copy, entry.attempts + 1))
            }
        }
        do {
            try store.index.add(documents)
        } catch {
            logger.error("archive index write failed; the copies are on disk and are retried", metadata: ["copies": "\(documents.count)", "error": "\(error)"])
            failed += built.map { ($0.copy, $0.attempts + 1) }
        }
        return failed
    }

    /// Indexes every sidecar not in the index yet; returns how many.
    @discardableResult
    public func catchUp() throws -> Int {
        try store.catchUp(batchSize: batchSize, logger: logger)
    }
}

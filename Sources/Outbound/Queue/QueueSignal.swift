import Synchronization

/// Wakes the delivery service when this process enqueues or retries something, so it does not
/// wait for its next poll. Notifications coalesce; the latest listener gets them.
final class QueueSignal: Sendable {
    private let continuation = Mutex<AsyncStream<Void>.Continuation?>(nil)

    /// Something became due.
    func notify() {
        _ = continuation.withLock { $0?.yield() }
    }

    /// A fresh stream of notifications; ends a previous listener's stream.
    func listen() -> AsyncStream<Void> {
        let (stream, newContinuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let previous = continuation.withLock { current in
            defer { current = newContinuation }
            return current
        }
        previous?.finish()
        return stream
    }
}

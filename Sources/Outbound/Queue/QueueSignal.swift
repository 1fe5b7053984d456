import Synchronization

/// Wakes the delivery service when this process enqueues or retries something, so it does not
/// wait for its next poll. Notifications coalesce; the latest listener gets them.
final class QueueSignal: Sendable {
    private let continuation = Mutex<AsyncStream<Void>.Continuation?>(nil)
    /// The delivery connections waiting for more: they are woken first.
    let arrivals = WorkArrivals()

    /// Something became due: a waiting delivery connection takes it, else the listener is woken.
    func notify() {
        if arrivals.pulse() { return }
        _ = continuation.withLock { $0?.yield() }
    }

    /// Wakes the listener only (a connection woken found nothing for its relay: the work is
    /// another relay's).
    func wakeListener() {
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

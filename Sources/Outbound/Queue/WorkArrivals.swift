import Synchronization

/// Wakes the delivery connections that wait, idle, for more mail to their relay
/// (``DeliveryServiceConfiguration/connectionIdleTime``): the queue's signal pulses it whenever
/// there is new due work (before it wakes the service's loop, which it then need not), and the
/// service closes it on shutdown.
///
/// A connection reads ``generation`` before it looks for work and passes it to
/// ``wait(upTo:since:)``: a pulse in between is not lost (the wait returns at once).
final class WorkArrivals: Sendable {
    private enum Waiter {
        /// The wait began; its continuation is not registered yet.
        case starting
        case waiting(CheckedContinuation<Bool, Never>)
        /// Timed out or cancelled before its continuation was registered.
        case expired
    }
    private struct State {
        var waiters: [UInt64: Waiter] = [:]
        var nextID: UInt64 = 0
        /// Counts pulses.
        var generation: UInt64 = 0
        /// Connections woken that wait a moment for more before they lease (``gather(for:)``).
        var gathering = 0
        /// Shut down: every wait returns at once.
        var closed = false
    }
    private let state = Mutex(State())

    /// How many connections wait now.
    var waiting: Int {
        state.withLock { state in state.waiters.values.count { if case .waiting = $0 { true } else { false } } }
    }

    /// Counts the pulses so far (see ``wait(upTo:since:)``).
    var generation: UInt64 { state.withLock { $0.generation } }

    /// Wakes the connection that has waited longest (one lease takes what is due; waking them
    /// all would have each of them try); returns whether a connection takes care of the new work
    /// (one was waiting, or one is about to lease).
    @discardableResult
    func pulse() -> Bool {
        let (woken, gathering) = state.withLock { state -> (CheckedContinuation<Bool, Never>?, Bool) in
            state.generation &+= 1
            guard state.gathering == 0 else { return (nil, true) }
            let oldest = state.waiters.compactMap { id, waiter -> (UInt64, CheckedContinuation<Bool, Never>)? in
                if case .waiting(let continuation) = waiter { return (id, continuation) }
                return nil
            }.min { $0.0 < $1.0 }
            guard let (id, continuation) = oldest else { return (nil, false) }
            state.waiters[id] = nil
            return (continuation, false)
        }
        woken?.resume(returning: true)
        return woken != nil || gathering
    }

    /// Shutdown: wakes every waiting connection, and later waits return at once.
    func close() {
        let woken = state.withLock { state -> [CheckedContinuation<Bool, Never>] in
            state.closed = true
            state.generation &+= 1
            let woken = state.waiters.values.compactMap { waiter -> CheckedContinuation<Bool, Never>? in
                if case .waiting(let continuation) = waiter { return continuation }
                return nil
            }
            state.waiters = state.waiters.filter { _, waiter in if case .waiting = waiter { false } else { true } }
            return woken
        }
        for waiter in woken { waiter.resume(returning: true) }
    }

    /// A service starts: waits wait again.
    func open() {
        state.withLock { $0.closed = false }
    }

    /// Waits `duration` as a connection about to lease: new work meanwhile is left to it.
    func gather(for duration: Duration) async {
        state.withLock { $0.gathering += 1 }
        try? await Task.sleep(for: duration)
        state.withLock { $0.gathering -= 1 }
    }

    /// Waits for a pulse, at most `timeout`; returns whether one came (`false`: the time ran
    /// out, or the task was cancelled). Returns `true` at once when a pulse came since
    /// `generation` was read, or the arrivals are closed.
    func wait(upTo timeout: Duration, since generation: UInt64) async -> Bool {
        let id = state.withLock { state -> UInt64? in
            guard !state.closed, state.generation == generation else { return nil }
            state.nextID += 1
            state.waiters[state.nextID] = .starting
            return state.nextID
        }
        guard let id else { return true }
        return await withTaskCancellationHandler {
            await withTaskGroup(of: Bool.self) { group in
                group.addTask {
                    await withCheckedContinuation { continuation in
                        let expired = self.state.withLock { state -> Bool in
                            guard case .starting = state.waiters[id] else {
                                state.waiters[id] = nil
                                return true
                            }
                            state.waiters[id] = .waiting(continuation)
                            return false
                        }
                        if expired { continuation.resume(returning: false) }
                    }
                }
                group.addTask {
                    // Cancelled once the pulse answered, or with the task (then onCancel expires it).
                    guard (try? await Task.sleep(for: timeout)) != nil else { return false }
                    self.expire(id)
                    return false
                }
                let first = await group.next() ?? false
                group.cancelAll()
                // The continuation child ends too: resumed by the pulse, or by the expiry.
                await group.waitForAll()
                return first
            }
        } onCancel: {
            expire(id)
        }
    }

    private func expire(_ id: UInt64) {
        let waiter = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            switch state.waiters[id] {
            case .waiting(let continuation):
                state.waiters[id] = nil
                return continuation
            case .starting:
                state.waiters[id] = .expired
                return nil
            case .expired, nil:
                return nil
            }
        }
        waiter?.resume(returning: false)
    }
}

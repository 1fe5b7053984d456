import Synchronization

/// Wakes the delivery connections that wait, idle, for more mail to their relay
/// (``DeliveryServiceConfiguration/connectionIdleTime``): the queue's signal pulses it whenever
/// there is new due work (before it wakes the service's loop, which it then need not), and the
/// service on shutdown.
final class WorkArrivals: Sendable {
    private struct State {
        var waiters: [UInt64: CheckedContinuation<Bool, Never>] = [:]
        /// Waits whose time ran out before their continuation was registered.
        var expired: Set<UInt64> = []
        var nextID: UInt64 = 0
        /// Connections woken that wait a moment for more before they lease (``gather(for:)``).
        var gathering = 0
    }
    private let state = Mutex(State())

    /// How many connections wait now.
    var waiting: Int { state.withLock { $0.waiters.count } }

    /// Wakes the connection that has waited longest (one lease takes what is due; waking them
    /// all would have each of them try); returns whether a connection takes care of the new work
    /// (one was waiting, or one is about to lease).
    @discardableResult
    func pulse() -> Bool {
        let (woken, gathering) = state.withLock { state -> (CheckedContinuation<Bool, Never>?, Bool) in
            guard state.gathering == 0, let oldest = state.waiters.keys.min() else { return (nil, state.gathering > 0) }
            return (state.waiters.removeValue(forKey: oldest), false)
        }
        woken?.resume(returning: true)
        return woken != nil || gathering
    }

    /// Waits `duration` as a connection about to lease: new work meanwhile is left to it.
    func gather(for duration: Duration) async {
        state.withLock { $0.gathering += 1 }
        try? await Task.sleep(for: duration)
        state.withLock { $0.gathering -= 1 }
    }

    /// Wakes every waiting connection (shutdown).
    func pulseAll() {
        let woken = state.withLock { state in
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in woken { waiter.resume(returning: true) }
    }

    /// Waits for a pulse, at most `timeout`; returns whether one came (`false`: the time ran
    /// out, or the task was cancelled).
    func wait(upTo timeout: Duration) async -> Bool {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await withCheckedContinuation { continuation in
                    let expired = self.state.withLock { state in
                        if state.expired.remove(id) != nil { return true }
                        state.waiters[id] = continuation
                        return false
                    }
                    if expired { continuation.resume(returning: false) }
                }
            }
            group.addTask {
                // Cancelled only after a pulse answered: nothing to expire then.
                guard (try? await Task.sleep(for: timeout)) != nil else { return false }
                self.expire(id)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            // The other child ends too: the sleep is cancelled, or the pulse's waiter was
            // resumed by the expiry.
            await group.waitForAll()
            return first
        }
    }

    private func expire(_ id: UInt64) {
        let waiter = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            if let waiter = state.waiters.removeValue(forKey: id) { return waiter }
            state.expired.insert(id)
            return nil
        }
        waiter?.resume(returning: false)
    }
}

import NIOConcurrencyHelpers
import NIOCore

/// Enforces a connection's idle and read timeouts and closes it for graceful shutdown at a safe
/// point, using one event-loop timer that is re-armed only when it fires.
///
/// The session driver reports when it waits for the MTA (``waiting(midFrame:betweenMessages:)``)
/// and when it works (``busy()``). Waiting with a partial frame buffered is bounded by the read
/// timeout, waiting between frames by the idle timeout; working is not bounded here.
final class SessionWatchdog: Sendable {
    enum Reason: Hashable, Sendable {
        case idleTimeout(TimeAmount)
        case readTimeout(TimeAmount)
        case shutdown
    }

    private struct State {
        var waitingSince: NIODeadline?
        var midFrame = false
        var betweenMessages = true
        var shutdownRequested = false
        var closedFor: Reason?
        var timer: Scheduled<Void>?
        var stopped = false
    }

    private let state = NIOLockedValueBox(State())
    private let idleTimeout: TimeAmount
    private let readTimeout: TimeAmount
    private let eventLoop: any EventLoop
    private let closeConnection: @Sendable () -> Void

    init(
        idleTimeout: TimeAmount,
        readTimeout: TimeAmount,
        eventLoop: any EventLoop,
        closeConnection: @escaping @Sendable () -> Void
    ) {
        self.idleTimeout = idleTimeout
        self.readTimeout = readTimeout
        self.eventLoop = eventLoop
        self.closeConnection = closeConnection
    }

    /// Why the watchdog closed the connection, if it did.
    var closedFor: Reason? { state.withLockedValue { $0.closedFor } }

    /// Starts timing (waiting for the MTA's first command).
    func start() {
        state.withLockedValue { $0.waitingSince = .now() }
        arm(at: .now() + min(idleTimeout, readTimeout))
    }

    /// The driver is about to wait for the MTA.
    func waiting(midFrame: Bool, betweenMessages: Bool) {
        let closeNow = state.withLockedValue { state -> Bool in
            state.waitingSince = .now()
            state.midFrame = midFrame
            state.betweenMessages = betweenMessages
            if state.shutdownRequested, betweenMessages, !midFrame, state.closedFor == nil {
                state.closedFor = .shutdown
                return true
            }
            return false
        }
        if closeNow { closeConnection() }
    }

    /// The driver is processing input.
    func busy() {
        state.withLockedValue { $0.waitingSince = nil }
    }

    /// Graceful shutdown: close now if between messages, else once the current message is answered.
    func requestShutdown() {
        let closeNow = state.withLockedValue { state -> Bool in
            state.shutdownRequested = true
            if state.waitingSince != nil, state.betweenMessages, !state.midFrame, state.closedFor == nil {
                state.closedFor = .shutdown
                return true
            }
            return false
        }
        if closeNow { closeConnection() }
    }

    /// Whether shutdown was requested (the driver closes at the next safe point).
    var shutdownRequested: Bool { state.withLockedValue { $0.shutdownRequested } }

    /// Stops the timer; call once when the session ends.
    func stop() {
        let timer = state.withLockedValue { state -> Scheduled<Void>? in
            state.stopped = true
            defer { state.timer = nil }
            return state.timer
        }
        timer?.cancel()
    }

    private func arm(at deadline: NIODeadline) {
        let scheduled = eventLoop.scheduleTask(deadline: deadline) { [self] in
            self.fire()
        }
        let cancel = state.withLockedValue { state -> Bool in
            if state.stopped { return true }
            state.timer = scheduled
            return false
        }
        if cancel { scheduled.cancel() }
    }

    private func fire() {
        let now = NIODeadline.now()
        enum Next { case close, rearm(NIODeadline), none }
        let next = state.withLockedValue { state -> Next in
            guard !state.stopped, state.closedFor == nil else { return .none }
            guard let since = state.waitingSince else {
                return .rearm(now + min(idleTimeout, readTimeout))
            }
            let limit = state.midFrame ? readTimeout : idleTimeout
            if now >= since + limit {
                state.closedFor = state.midFrame ? .readTimeout(limit) : .idleTimeout(limit)
                return .close
            }
            return .rearm(since + limit)
        }
        switch next {
        case .close: closeConnection()
        case .rearm(let deadline): arm(at: deadline)
        case .none: break
        }
    }
}

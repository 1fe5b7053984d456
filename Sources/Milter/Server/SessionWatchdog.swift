import NIOConcurrencyHelpers
import NIOCore

/// Enforces a connection's idle and read timeouts and its graceful-shutdown drain, using one
/// event-loop timer that is re-armed only when it fires or when a shorter deadline appears.
///
/// The session driver reports when it waits for the MTA (``waiting(midFrame:betweenMessages:)``)
/// and when it works (``busy()``). Waiting with a partial frame buffered is bounded by the read
/// timeout, waiting between frames by the idle timeout; working is not bounded here.
///
/// On graceful shutdown the connection keeps being served — one milter connection is one SMTP
/// session, and closing it makes Postfix answer the rest of that session with its default action —
/// until the drain timeout has passed; from then on it is closed as soon as it sits between
/// messages.
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
        var drainDeadline: NIODeadline?
        var closedFor: Reason?
        var timer: Scheduled<Void>?
        var armedFor: NIODeadline?
        var stopped = false
    }

    private let state = NIOLockedValueBox(State())
    private let idleTimeout: TimeAmount
    private let readTimeout: TimeAmount
    private let drainTimeout: TimeAmount
    private let eventLoop: any EventLoop
    private let closeConnection: @Sendable () -> Void

    init(
        idleTimeout: TimeAmount,
        readTimeout: TimeAmount,
        drainTimeout: TimeAmount,
        eventLoop: any EventLoop,
        closeConnection: @escaping @Sendable () -> Void
    ) {
        self.idleTimeout = idleTimeout
        self.readTimeout = readTimeout
        self.drainTimeout = drainTimeout
        self.eventLoop = eventLoop
        self.closeConnection = closeConnection
    }

    /// Why the watchdog closed the connection, if it did.
    var closedFor: Reason? { state.withLockedValue { $0.closedFor } }

    /// Starts timing (waiting for the MTA's first command).
    func start() {
        let now = NIODeadline.now()
        state.withLockedValue { $0.waitingSince = now }
        arm(at: now + min(idleTimeout, readTimeout))
    }

    /// The driver is about to wait for the MTA.
    func waiting(midFrame: Bool, betweenMessages: Bool) {
        let now = NIODeadline.now()
        enum Next { case close, rearm(NIODeadline), none }
        let next = state.withLockedValue { state -> Next in
            state.waitingSince = now
            state.midFrame = midFrame
            state.betweenMessages = betweenMessages
            if Self.drained(state, now: now), betweenMessages, !midFrame, state.closedFor == nil {
                state.closedFor = .shutdown
                return .close
            }
            // The timer may be set for the idle timeout; a partial frame needs the shorter one.
            if midFrame, let armed = state.armedFor, armed > now + readTimeout {
                return .rearm(now + readTimeout)
            }
            return .none
        }
        switch next {
        case .close: closeConnection()
        case .rearm(let deadline): arm(at: deadline)
        case .none: break
        }
    }

    /// The driver is processing input.
    func busy() {
        state.withLockedValue { $0.waitingSince = nil }
    }

    /// Graceful shutdown: keep serving for the drain timeout, then close between messages.
    func requestShutdown() {
        let deadline = NIODeadline.now() + drainTimeout
        let closeNow = state.withLockedValue { state -> Bool in
            state.drainDeadline = deadline
            if drainTimeout <= .zero, state.waitingSince != nil, state.betweenMessages, !state.midFrame, state.closedFor == nil {
                state.closedFor = .shutdown
                return true
            }
            return false
        }
        if closeNow {
            closeConnection()
        } else {
            arm(at: deadline)
        }
    }

    /// Whether the drain time after a shutdown request is over: close at the next safe point.
    var shutdownDue: Bool {
        let now = NIODeadline.now()
        return state.withLockedValue { Self.drained($0, now: now) }
    }

    /// Stops the timer; call once when the session ends.
    func stop() {
        let timer = state.withLockedValue { state -> Scheduled<Void>? in
            state.stopped = true
            defer { state.timer = nil }
            return state.timer
        }
        timer?.cancel()
    }

    private static func drained(_ state: State, now: NIODeadline) -> Bool {
        guard let deadline = state.drainDeadline else { return false }
        return now >= deadline
    }

    /// Arms the timer for `deadline` unless it is already armed for an earlier one.
    private func arm(at deadline: NIODeadline) {
        let proceed = state.withLockedValue { state -> Bool in
            if state.stopped { return false }
            if let armed = state.armedFor, armed <= deadline, state.timer != nil { return false }
            state.armedFor = deadline
            return true
        }
        guard proceed else { return }
        let scheduled = eventLoop.scheduleTask(deadline: deadline) { [self] in
            self.fire(deadline)
        }
        let previous = state.withLockedValue { state -> Scheduled<Void>? in
            if state.stopped || state.armedFor != deadline { return scheduled }
            defer { state.timer = scheduled }
            return state.timer
        }
        previous?.cancel()
    }

    private func fire(_ deadline: NIODeadline) {
        let now = NIODeadline.now()
        enum Next { case close, rearm(NIODeadline), none }
        let next = state.withLockedValue { state -> Next in
            guard state.armedFor == deadline else { return .none }
            state.timer = nil
            state.armedFor = nil
            guard !state.stopped, state.closedFor == nil else { return .none }
            var nextCheck = now + min(idleTimeout, readTimeout)
            if let since = state.waitingSince {
                let limit = state.midFrame ? readTimeout : idleTimeout
                if now >= since + limit {
                    state.closedFor = state.midFrame ? .readTimeout(limit) : .idleTimeout(limit)
                    return .close
                }
                if Self.drained(state, now: now), state.betweenMessages, !state.midFrame {
                    state.closedFor = .shutdown
                    return .close
                }
                nextCheck = since + limit
            }
            if let drain = state.drainDeadline, drain > now, drain < nextCheck {
                nextCheck = drain
            }
            return .rearm(nextCheck)
        }
        switch next {
        case .close: closeConnection()
        case .rearm(let deadline): arm(at: deadline)
        case .none: break
        }
    }
}

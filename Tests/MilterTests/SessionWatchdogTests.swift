import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing

@testable import Milter

@Suite("Session watchdog")
struct SessionWatchdogTests {
    /// A watchdog on a real event loop whose close callback records when it fired.
    func makeWatchdog(idle: TimeAmount, read: TimeAmount, drain: TimeAmount = .seconds(30)) -> (SessionWatchdog, NIOLockedValueBox<ContinuousClock.Instant?>) {
        let closedAt = NIOLockedValueBox<ContinuousClock.Instant?>(nil)
        let watchdog = SessionWatchdog(
            idleTimeout: idle,
            readTimeout: read,
            drainTimeout: drain,
            eventLoop: MultiThreadedEventLoopGroup.singleton.next(),
            closeConnection: { closedAt.withLockedValue { $0 = $0 ?? ContinuousClock.now } }
        )
        return (watchdog, closedAt)
    }

    func waitForClose(_ closedAt: NIOLockedValueBox<ContinuousClock.Instant?>, within limit: Duration) async -> ContinuousClock.Instant? {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if let at = closedAt.withLockedValue({ $0 }) { return at }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }

    @Test("idle timeout")
    func idle() async throws {
        let (watchdog, closedAt) = makeWatchdog(idle: .milliseconds(300), read: .milliseconds(100))
        let start = ContinuousClock.now
        watchdog.start()
        watchdog.waiting(midFrame: false, betweenMessages: true)
        // Never early; the upper bound is loose because the whole suite shares two cores, and
        // its first seconds (hundreds of tests starting at once) can delay any timer.
        let at = try #require(await waitForClose(closedAt, within: .seconds(120)))
        #expect(at - start >= .milliseconds(290) && at - start < .seconds(120))
        #expect(watchdog.closedFor == .idleTimeout(.milliseconds(300)))
        watchdog.stop()
    }

    @Test("a partial frame after a long idle wait meets the read timeout, not the idle timeout")
    func readAfterIdle() async throws {
        // A long idle limit: the suite's first seconds on two shared cores can delay the sleep below.
        let (watchdog, closedAt) = makeWatchdog(idle: .seconds(300), read: .milliseconds(300))
        watchdog.start()
        watchdog.waiting(midFrame: false, betweenMessages: true)
        try await Task.sleep(for: .milliseconds(500))
        watchdog.busy()
        let partial = ContinuousClock.now
        watchdog.waiting(midFrame: true, betweenMessages: true)
        let at = try #require(await waitForClose(closedAt, within: .seconds(120)))
        #expect(at - partial >= .milliseconds(290) && at - partial < .seconds(120), "closed \(at - partial) after the partial frame")
        #expect(watchdog.closedFor == .readTimeout(.milliseconds(300)))
        watchdog.stop()
    }

    @Test("busy time does not count; shutdown closes between messages once drained")
    func shutdownDrain() async throws {
        let (watchdog, closedAt) = makeWatchdog(idle: .seconds(10), read: .seconds(10), drain: .milliseconds(300))
        watchdog.start()
        watchdog.busy()
        watchdog.requestShutdown()
        #expect(!watchdog.shutdownDue)
        try await Task.sleep(for: .milliseconds(400))
        #expect(watchdog.shutdownDue)
        #expect(closedAt.withLockedValue { $0 } == nil, "not closed while busy")
        watchdog.waiting(midFrame: false, betweenMessages: true)
        #expect(await waitForClose(closedAt, within: .seconds(60)) != nil)
        #expect(watchdog.closedFor == .shutdown)
        watchdog.stop()
    }
}

import Outbound
import Testing

/// A predictable generator for jitter tests.
struct SequenceGenerator: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return state
    }
}

@Suite("Retry schedule")
struct RetryScheduleTests {
    @Test("exponential from the initial delay, capped")
    func exponential() {
        let schedule = RetrySchedule(initialDelay: .seconds(300), factor: 2, maximumDelay: .seconds(3600), jitter: 0)
        #expect(schedule.plannedDelays(6) == [.seconds(300), .seconds(600), .seconds(1200), .seconds(2400), .seconds(3600), .seconds(3600)])
        #expect(schedule.baseDelay(afterAttempt: 1000) == .seconds(3600))
        #expect(schedule.baseDelay(afterAttempt: 0) == .seconds(300))
    }

    @Test("jitter only shortens, by at most its fraction")
    func jitter() {
        let schedule = RetrySchedule(initialDelay: .seconds(100), factor: 3, maximumDelay: .seconds(1000), jitter: 0.25)
        var random = SequenceGenerator(state: 42)
        for attempt in 1...8 {
            let base = schedule.baseDelay(afterAttempt: attempt)
            for _ in 0..<50 {
                let delay = schedule.delay(afterAttempt: attempt, using: &random)
                #expect(delay <= base)
                #expect(delay >= base * 0.75)
            }
        }
    }

    @Test("invalid values name their key", arguments: [
        (RetrySchedule(initialDelay: .zero), "retry.initial_delay"),
        (RetrySchedule(factor: 0.5), "retry.factor"),
        (RetrySchedule(initialDelay: .seconds(10), maximumDelay: .seconds(5)), "retry.maximum_delay"),
        (RetrySchedule(jitter: 1.5), "retry.jitter"),
        (RetrySchedule(maximumAge: .zero), "retry.maximum_age"),
    ])
    func validation(schedule: RetrySchedule, field: String) {
        do {
            try schedule.validate()
            Issue.record("expected \(field) to be refused")
        } catch {
            #expect(error.field == field)
        }
    }

    @Test("failure policies parse")
    func policies() throws {
        #expect(try PermanentFailurePolicy(parsing: "bounce") == .bounce)
        #expect(try PermanentFailurePolicy(parsing: "drop") == .drop)
        #expect(try PermanentFailurePolicy(parsing: "notify:ops@example.net") == .notify(try SMTPAddress("ops@example.net")))
        #expect(throws: SMTPConfigurationError.self) { try PermanentFailurePolicy(parsing: "notify:") }
        #expect(throws: SMTPConfigurationError.self) { try PermanentFailurePolicy(parsing: "explode") }
    }
}

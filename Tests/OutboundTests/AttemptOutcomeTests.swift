import Foundation
import Testing
@testable import Outbound

@Suite("Attempt outcome: recipient state transitions")
struct AttemptOutcomeTests {
    static let created = 1_800_000_000.0
    static let schedule = RetrySchedule(initialDelay: .seconds(60), factor: 2, maximumDelay: .seconds(600), jitter: 0, maximumAge: .seconds(3600))
    static let ok = SMTPResponse(code: 250, enhancedCode: EnhancedStatusCode("2.0.0"), "Ok: queued")
    static let transient = SMTPClientError.rejected(SMTPResponse(code: 451, enhancedCode: EnhancedStatusCode("4.3.0"), "try later"), in: .recipient)
    static let permanent = SMTPClientError.rejected(SMTPResponse(code: 550, enhancedCode: EnhancedStatusCode("5.1.1"), "unknown"), in: .recipient)

    static func entry(attempts: Int = 0) -> EntryRecord {
        EntryRecord(
            id: 1, createdAt: created, sender: "a@example.com", spoolName: "x.eml", size: 10, hasEightBitBytes: false, relay: nil,
            origin: nil, originQueueId: nil, isReport: false, attempts: attempts, nextAttemptAt: created, leaseOwner: "me",
            leaseExpiresAt: nil, lastError: nil
        )
    }

    static func recipients(_ states: [RecipientState]) -> [RecipientRecord] {
        states.enumerated().map { RecipientRecord(id: Int64($0.offset + 1), entryId: 1, address: "r\($0.offset)@example.org", state: $0.element) }
    }

    static func outcome(
        attempts: Int = 0,
        states: [RecipientState],
        results: [Int64: RecipientResult.Outcome],
        at now: Double = created + 10
    ) -> AttemptOutcome {
        var random = SequenceGenerator(state: 7)
        return AttemptOutcome(entry: entry(attempts: attempts), recipients: recipients(states), results: results, now: now, schedule: schedule, random: &random)
    }

    @Test("all delivered: complete, nothing failed")
    func allDelivered() {
        let outcome = Self.outcome(states: [.pending, .pending], results: [1: .delivered(Self.ok), 2: .delivered(Self.ok)])
        #expect(outcome.decision == .complete)
        #expect(outcome.recipients.map(\.state) == [.delivered, .delivered])
        #expect(outcome.failedRecipients.isEmpty)
        #expect((outcome.delivered, outcome.deferred, outcome.failed) == (2, 0, 0))
        #expect(outcome.attempts == 1)
        #expect(outcome.lastError == nil)
    }

    @Test("mixed: delivered, deferred, failed; retried after the first delay")
    func mixed() {
        let outcome = Self.outcome(
            attempts: 2, states: [.pending, .deferred, .pending],
            results: [1: .delivered(Self.ok), 2: .failed(Self.transient), 3: .failed(Self.permanent)]
        )
        #expect(outcome.recipients.map(\.state) == [.delivered, .deferred, .failed])
        #expect(outcome.decision == .retry(at: Self.created + 10 + 240), "third attempt: 60 × 2²")
        #expect(outcome.recipients[2].enhancedCode == "5.1.1")
        #expect(outcome.recipients[1].lastResponse?.contains("451 4.3.0 try later") == true)
        #expect((outcome.delivered, outcome.deferred, outcome.failed) == (1, 1, 1))
    }

    @Test("recipients not in this attempt keep their state")
    func untouched() {
        let outcome = Self.outcome(states: [.delivered, .failed, .deferred], results: [3: .delivered(Self.ok)])
        #expect(outcome.recipients.map(\.state) == [.delivered, .failed, .delivered])
        #expect(outcome.decision == .complete)
        #expect(outcome.failedRecipients.map(\.address) == ["r1@example.org"], "an earlier failure is still reported")
    }

    @Test("newly failed: failed recipients no report has covered yet, whatever the decision")
    func newlyFailed() {
        var recipients = Self.recipients([.failed, .pending, .pending])
        recipients[0].reported = true
        var random = SequenceGenerator(state: 7)
        let outcome = AttemptOutcome(
            entry: Self.entry(), recipients: recipients, results: [2: .failed(Self.permanent), 3: .failed(Self.transient)],
            now: Self.created + 10, schedule: Self.schedule, random: &random
        )
        #expect(outcome.decision == .retry(at: Self.created + 70))
        #expect(outcome.failedRecipients.map(\.address) == ["r0@example.org", "r1@example.org"])
        #expect(outcome.newlyFailed.map(\.address) == ["r1@example.org"], "r0 was reported after an earlier attempt")
    }

    @Test("past the maximum age, deferred recipients fail: expired")
    func expired() {
        let outcome = Self.outcome(attempts: 9, states: [.deferred, .delivered], results: [1: .failed(Self.transient)], at: Self.created + 3601)
        #expect(outcome.decision == .complete)
        #expect(outcome.recipients.map(\.state) == [.failed, .delivered])
        #expect(outcome.recipients[0].lastResponse?.hasPrefix("gave up after 10 attempts in 1h 0m: ") == true)
        #expect(outcome.recipients[0].enhancedCode == "4.3.0", "the last transient status, as Postfix reports it")
        #expect(outcome.failed == 1)
    }

    @Test("the last retry is at the maximum age, not after")
    func lastRetryAtExpiry() {
        let outcome = Self.outcome(attempts: 20, states: [.deferred], results: [1: .failed(Self.transient)], at: Self.created + 3500)
        #expect(outcome.decision == .retry(at: Self.created + 3600))
    }

    @Test("which failures are reported to whom")
    func reportRecipients() throws {
        let sender = try SMTPAddress("a@example.com")
        let ops = try SMTPAddress("ops@example.net")
        #expect(PermanentFailurePolicy.bounce.reportRecipient(sender: sender, isReport: false) == sender)
        #expect(PermanentFailurePolicy.bounce.reportRecipient(sender: .null, isReport: false) == nil, "never bounce a bounce")
        #expect(PermanentFailurePolicy.bounce.reportRecipient(sender: sender, isReport: true) == nil)
        #expect(PermanentFailurePolicy.notify(ops).reportRecipient(sender: .null, isReport: false) == ops)
        #expect(PermanentFailurePolicy.notify(ops).reportRecipient(sender: sender, isReport: true) == nil)
        #expect(PermanentFailurePolicy.drop.reportRecipient(sender: sender, isReport: false) == nil)
    }
}

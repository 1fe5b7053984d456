import Logging
import NIOConcurrencyHelpers
import NIOCore
import TestSupport
import Testing

@testable import Milter

/// `MessageModifier.onAnswer`: the handler's commit point runs with the final verdict right
/// before the answer is written, never after it and never for nothing.
@Suite("Answer actions")
struct AnswerActionTests {
    /// A transport that notes each write in the shared event log.
    final class LoggingTransport: MilterTransport {
        let log: EventLog
        let collected = CollectingTransport()
        init(log: EventLog) { self.log = log }
        func write(_ buffer: ByteBuffer) async throws {
            let responses = (try? frames(Array(buffer.readableBytesView)).map { try MilterResponse(frame: $0) }) ?? []
            log.append("write \(responses.last.map { "\($0)" } ?? "-")")
            try await collected.write(buffer)
        }
        func beginSlowWork() {}
        func endSlowWork() {}
        func acknowledgeNow() {}
        func finish() {}
    }

    func run(verdict: MilterVerdict, commits: Bool = true) async throws -> (events: [String], responses: [MilterResponse]) {
        let log = EventLog()
        let transport = LoggingTransport(log: log)
        let driver = MilterSessionDriver(
            settings: .init(maximumFrameLength: MilterFrameDecoder.defaultMaximumFrameLength, failureVerdict: .tempfail),
            context: MilterSessionContext(sessionID: 1, peer: "test", logger: LogCapture().logger()),
            makeHandler: { _ in
                ScriptedHandler(capabilities: MilterCapabilities(requiredActions: [.addHeaders]), log: log) { modifier in
                    try modifier.addHeader("X-Checked", value: "yes")
                    modifier.onAnswer { verdict in
                        log.append("answer \(verdict)")
                        return commits
                    } afterwards: { answered in
                        log.append("afterwards \(answered.map { "\($0)" } ?? "unanswered")")
                    }
                    return verdict
                }
            }
        )
        let input = (postfixConnect + postfixMessage() + [.quit]).map { encoded($0) }
        _ = await driver.run(inbound: ScriptedSource([input.flatMap { $0 }]), transport: transport, watchdog: nil)
        let responses = try frames(transport.collected.bytes).map { try MilterResponse(frame: $0) }
        return (log.events, responses)
    }

    @Test("the action runs once, with the verdict, right before the write that carries the answer")
    func runsRightBeforeTheAnswer() async throws {
        for verdict in [MilterVerdict.continue, .tempfail] {
            let (events, responses) = try await run(verdict: verdict)
            let answer = try #require(events.firstIndex { $0.hasPrefix("answer ") })
            #expect(events.filter { $0.hasPrefix("answer ") } == ["answer \(verdict)"])
            // The very next thing: the write whose last frame is the answer.
            #expect(events.dropFirst(answer + 1).first == "write \(verdict.response)", "\(events)")
            let endOfMessage = try #require(events.firstIndex(of: "eom"))
            #expect(!events[endOfMessage..<answer].contains { $0.hasPrefix("write ") }, "answered before the action: \(events)")
            #expect(responses.last == verdict.response)
            if verdict == .continue {
                #expect(responses.contains(.addHeader(name: "X-Checked", value: "yes")))
            }
            #expect(events.dropFirst(answer + 2).first == "afterwards \(verdict)", "\(events)")
        }
    }

    @Test("a commit point that fails turns the answer into tempfail, and says so afterwards")
    func failedCommitTempfails() async throws {
        let (events, responses) = try await run(verdict: .continue, commits: false)
        #expect(responses.last == MilterVerdict.tempfail.response)
        #expect(events.contains("afterwards tempfail"), "\(events)")
    }
}

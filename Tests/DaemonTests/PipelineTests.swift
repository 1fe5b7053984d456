import Crypto
import Foundation
import Logging
import MailMessage
import Milter
import Policy
import Testing
import TestSupport

@testable import Daemon

@Suite("Pipeline and loop guard")
struct PipelineTests {
    struct Recorder: MessageFilter {
        let name: String
        let stage: FilterStage
        var fail: Bool = false
        var delay: Duration = .zero
        var verdict: MilterVerdict?

        func run(_ work: FilterWork, parameters: [String: String]) async throws -> FilterWork {
            if delay > .zero { try await Task.sleep(for: delay) }
            if fail { throw FilterError(filter: name, reason: "broken on purpose") }
            var work = work
            work.message.addHeader("X-Ran", name)
            work.verdict = verdict
            return work
        }
    }

    func work() throws -> FilterWork {
        let message = try MailMessage.parse(Array("From: a@corp.example\r\nTo: b@partner.example\r\nSubject: t\r\nMessage-ID: <m1@corp.example>\r\n\r\nhello\r\n".utf8))
        return FilterWork(message: message, facts: MessageFacts(sender: "a@corp.example"), recipients: ["b@partner.example"], queueID: "4XyZ1")
    }

    func ran(_ outcome: Pipeline.Outcome) -> [String] {
        guard case .deliver(let work) = outcome else { return [] }
        return work.message.header.all("X-Ran").map(\.decodedValue)
    }

    @Test("filters run by stage (check, transform, observe, sign), then in rule order")
    func order() async throws {
        let filters: [any MessageFilter] = [
            Recorder(name: "dkim_sign", stage: .sign), Recorder(name: "archive", stage: .observe),
            Recorder(name: "encrypt", stage: .transform), Recorder(name: "virus_scan", stage: .check), Recorder(name: "banner", stage: .transform),
        ]
        let pipeline = Pipeline(filters: filters, configuration: GatewayConfiguration(), logger: Logger(label: "test"))
        let actions = ["dkim_sign", "archive", "banner", "encrypt", "virus_scan"].map { RuleAction(filter: $0) }
        #expect(ran(await pipeline.run(actions, on: try work())) == ["virus_scan", "banner", "encrypt", "archive", "dkim_sign"])
    }

    @Test("failure policy per filter: tempfail (default), accept, reject; a missing filter fails too")
    func failurePolicy() async throws {
        var configuration = GatewayConfiguration()
        configuration.filters["archive"] = FilterSettings(onError: .accept, timeout: .seconds(5))
        configuration.filters["strip"] = FilterSettings(onError: .reject, timeout: .seconds(5))
        let logs = LogCapture()
        let pipeline = Pipeline(
            filters: [Recorder(name: "encrypt", stage: .transform, fail: true), Recorder(name: "archive", stage: .observe, fail: true), Recorder(name: "strip", stage: .transform, fail: true), Recorder(name: "banner", stage: .transform)],
            configuration: configuration, logger: logs.logger()
        )
        guard case .failed(let filter, _, let action) = await pipeline.run([RuleAction(filter: "encrypt")], on: try work()) else { Issue.record("not failed"); return }
        #expect(filter == "encrypt" && action == .tempfail)
        #expect(ran(await pipeline.run([RuleAction(filter: "archive"), RuleAction(filter: "banner")], on: try work())) == ["banner"])
        guard case .failed(_, _, .reject) = await pipeline.run([RuleAction(filter: "strip")], on: try work()) else { Issue.record("not rejected"); return }
        guard case .failed("duplicate", _, .tempfail) = await pipeline.run([RuleAction(filter: "duplicate")], on: try work()) else { Issue.record("missing filter passed"); return }
        #expect(logs.records(containing: "filter failed").allSatisfy { $0.metadata["mail.queue_id"] == "4XyZ1" })
    }

    @Test("a filter over its time limit fails only this message")
    func timeout() async throws {
        var configuration = GatewayConfiguration()
        configuration.filters["virus_scan"] = FilterSettings(onError: .tempfail, timeout: .milliseconds(200))
        // The filter would hang for 10 minutes; the bound is loose because the whole suite shares
        // two cores (its first seconds can keep every test waiting).
        let pipeline = Pipeline(filters: [Recorder(name: "virus_scan", stage: .check, delay: .seconds(600))], configuration: configuration, logger: Logger(label: "test"))
        let clock = ContinuousClock()
        let started = clock.now
        guard case .failed("virus_scan", let reason, .tempfail) = await pipeline.run([RuleAction(filter: "virus_scan")], on: try work()) else { Issue.record("no timeout"); return }
        #expect(reason.contains("timed out"))
        #expect(clock.now - started < .seconds(120))
    }

    @Test("a check can stop the message")
    func checkStops() async throws {
        let pipeline = Pipeline(filters: [Recorder(name: "virus_scan", stage: .check, verdict: .reject), Recorder(name: "archive", stage: .observe)], configuration: GatewayConfiguration(), logger: Logger(label: "test"))
        guard case .stopped(.reject, by: "virus_scan") = await pipeline.run([RuleAction(filter: "archive"), RuleAction(filter: "virus_scan")], on: try work()) else { Issue.record("not stopped"); return }
    }

    @Test("header and banner filters")
    func builtIns() async throws {
        let pipeline = Pipeline(filters: [HeaderFilter(), BannerFilter()], configuration: GatewayConfiguration(), logger: Logger(label: "test"))
        let outcome = await pipeline.run([RuleAction(filter: "header", parameters: ["name": "X-Sekisho", "value": "検査済み"]), RuleAction(filter: "banner", parameters: ["text": "外部宛てメールです"])], on: try work())
        guard case .deliver(let work) = outcome else { Issue.record("not delivered"); return }
        let reparsed = try MailMessage.parse(try work.message.serialized())
        #expect(reparsed.header.text("X-Sekisho") == "検査済み")
        #expect(try reparsed.root.decodedText().hasPrefix("外部宛てメールです"))
        guard case .failed("header", _, .tempfail) = await pipeline.run([RuleAction(filter: "header")], on: try self.work()) else { Issue.record("bad parameters passed"); return }
    }

    @Test("loop guard: a stamp verifies for its message and recipients only; forgeries and old stamps do not")
    func loopGuard() {
        let guardKey = LoopGuard.makeKey()
        let loopGuard = LoopGuard(key: guardKey, maximumAge: 3600)
        let stamp = loopGuard.stamp(messageID: "<m1@corp.example>", recipients: ["B@partner.example", "c@x.example"], now: 1_000_000)
        #expect(loopGuard.verify(stamp, messageID: "<m1@corp.example>", recipients: ["c@x.example", "b@partner.example"], now: 1_000_100))
        #expect(!loopGuard.verify(stamp, messageID: "<m2@corp.example>", recipients: ["b@partner.example", "c@x.example"], now: 1_000_100))
        #expect(!loopGuard.verify(stamp, messageID: "<m1@corp.example>", recipients: ["b@partner.example", "evil@x.example"], now: 1_000_100))
        #expect(!loopGuard.verify(stamp, messageID: "<m1@corp.example>", recipients: ["b@partner.example", "c@x.example"], now: 1_010_000))
        #expect(!LoopGuard(key: LoopGuard.makeKey()).verify(stamp, messageID: "<m1@corp.example>", recipients: ["b@partner.example", "c@x.example"], now: 1_000_100))
        for forged in ["YES", "v=1; t=1000000; mac=" + String(repeating: "0", count: 64), "v=2; t=1000000; mac=ab", "", "v=1; t=x; mac=zz"] {
            #expect(!loopGuard.verify(forged, messageID: "<m1@corp.example>", recipients: ["b@partner.example", "c@x.example"], now: 1_000_100))
        }
    }

    @Test("loop guard key file: created 0600 with 32 random bytes, refused when others can read it")
    func keyFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sekisho-key-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("loop.key").path
        let first = try LoopGuard.loadOrCreateKey(at: path)
        let again = try LoopGuard.loadOrCreateKey(at: path)
        #expect(first == again)
        #expect((try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) == 0o600)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        #expect(throws: LoopGuardKeyError.self) { try LoopGuard.loadOrCreateKey(at: path) }
    }
}

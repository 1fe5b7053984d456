import Logging
import Milter
import NIOCore
import TestSupport
import Testing

/// Where the MTAs differ, what each one says.
extension MailRigKind {
    /// The code of a reject after DATA (`550` from Postfix, `554` from Sendmail).
    var rejectAfterData: Int { self == .postfix ? 550 : 554 }

    /// A 5xx at MAIL or RCPT as the client reads it: Sendmail puts the address first.
    func refusal(_ line: String, address: String) -> String {
        guard self == .sendmail else { return line }
        let prefix = line.prefix(10)  // "550-5.7.1 " or "550 5.7.1 "
        return prefix + "<\(address)>... " + line.dropFirst(10)
    }
}

/// Private MTAs (Postfix and Sendmail) in front of the in-process ``RigFilter`` milter, shared
/// by one suite.
final class MTAFixture: Sendable {
    @TaskLocal static var current: [MailRigKind: MTAFixture]?

    let rig: any MailRig
    let mta: MailRigKind
    let milter: MilterSocketAddress
    let logs: LogCapture

    init(rig: any MailRig, mta: MailRigKind, milter: MilterSocketAddress, logs: LogCapture) {
        self.rig = rig
        self.mta = mta
        self.milter = milter
        self.logs = logs
    }

    static func require(_ kind: MailRigKind) throws -> MTAFixture {
        guard let fixture = current?[kind] else { throw MissingComponent("\(kind) rig (suite trait not applied)") }
        return fixture
    }
}

/// Starts the milter and both MTAs once around a suite; fails under CI when one is missing.
struct MTARigsTrait: SuiteTrait, TestScoping {
    var isRecursive: Bool { false }

    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        for kind in MailRigKind.testable where !kind.canRun { throw MissingComponent(kind.requirement) }
        let logs = LogCapture()
        try await withMilterServer(logs: logs, configure: { $0.progressInterval = .seconds(2) }, makeHandler: { _ in RigFilter() }) { address in
            var fixtures = [MailRigKind: MTAFixture]()
            do {
                for kind in MailRigKind.testable {
                    let rig: any MailRig = switch kind {
                    case .postfix: try await PostfixRig.start(milter: address.postfixSpelling)
                    case .sendmail: try await SendmailRig.start(milter: address.postfixSpelling, plainListener: false)
                    }
                    fixtures[kind] = MTAFixture(rig: rig, mta: kind, milter: address, logs: logs)
                }
                try await MTAFixture.$current.withValue(fixtures) {
                    try await function()
                }
            } catch {
                for fixture in fixtures.values { await fixture.rig.stop() }
                throw error
            }
            for fixture in fixtures.values { await fixture.rig.stop() }
        }
    }
}

extension Trait where Self == MTARigsTrait {
    /// Runs the suite against a private Postfix and a private Sendmail 8.17 in front of the rig filter.
    static var mtaRigs: Self { MTARigsTrait() }
}

import Logging
import Milter
import NIOCore
import TestSupport
import Testing

/// A private Postfix in front of the in-process ``RigFilter`` milter, shared by one suite.
final class PostfixFixture: Sendable {
    @TaskLocal static var current: PostfixFixture?

    let rig: PostfixRig
    let milter: MilterSocketAddress
    let logs: LogCapture

    init(rig: PostfixRig, milter: MilterSocketAddress, logs: LogCapture) {
        self.rig = rig
        self.milter = milter
        self.logs = logs
    }

    static func require() throws -> PostfixFixture {
        guard let current else { throw MissingComponent("postfix rig (suite trait not applied)") }
        return current
    }
}

/// Starts the milter and the Postfix rig once around a suite; fails under CI when Postfix is missing.
struct PostfixRigTrait: SuiteTrait, TestScoping {
    var isRecursive: Bool { false }

    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        guard TestEnvironment.canRunPostfix else {
            throw MissingComponent("postfix and smtp-sink, run as root")
        }
        let logs = LogCapture()
        try await withMilterServer(logs: logs, configure: { $0.progressInterval = .seconds(2) }, makeHandler: { _ in RigFilter() }) { address in
            let rig = try await PostfixRig.start(milter: address.postfixSpelling)
            do {
                try await PostfixFixture.$current.withValue(PostfixFixture(rig: rig, milter: address, logs: logs)) {
                    try await function()
                }
            } catch {
                await rig.stop()
                throw error
            }
            await rig.stop()
        }
    }
}

extension Trait where Self == PostfixRigTrait {
    /// Runs the suite against a private Postfix in front of the rig filter.
    static var postfixRig: Self { PostfixRigTrait() }
}

import Foundation
import Outbound
import TestSupport
import Testing

/// `sekisho queue run` killed with SIGKILL in the middle of a batch, then started again.
@Suite("Queue runner killed with SIGKILL", .enabled(if: TestEnvironment.canRunPostfix || TestEnvironment.isCI))
struct QueueRunnerKillTests {
    @Test("kill -9 mid-delivery, restart: every message arrives at least once, none is lost")
    func killAndRestart() async throws {
        let binary = try TestEnvironment.builtBinary("sekisho")
        // `sleep 1` at DATA keeps transactions open, so the kill lands while entries are leased.
        try await OutboundPostfix.withRig(settings: ["smtpd_data_restrictions = sleep 1, permit"]) { rig in
            try await withTemporaryQueue { queue, directory in
                let markers = try await QueueDeliveryTests.enqueue(queue, count: 40, prefix: "kill")
                let arguments = [
                    "queue", "run", "--database", queue.databasePath, "--spool", queue.spool.path,
                    "--relay", "127.0.0.1:\(rig.plainPort)", "--starttls", "none", "--helo-name", "gateway.test",
                    "--concurrency", "4", "--batch-size", "5", "--poll-interval", "0.2",
                    "--retry-initial", "0.5", "--retry-max", "2", "--smtp-timeout", "30",
                ]
                let first = try ProcessRunner.start(binary, arguments, log: "\(directory.path)/first.log")
                let started = await OutboundPostfix.wait(timeout: .seconds(90)) { rig.sinkFiles().count >= 5 || !first.process.isRunning }
                #expect(started && first.process.isRunning, "the runner delivers: \(first.output)")
                kill(first.pid, SIGKILL)
                #expect(await first.waitForExit(timeout: 20) != nil)
                #expect(first.process.terminationReason == .uncaughtSignal)

                let atKill = try await queue.entries()
                let leased = atKill.filter { $0.leasedUntil != nil }
                print("runner killed: \(atKill.count) entries left, \(leased.count) of them leased (in delivery)")
                #expect(!atKill.isEmpty, "killed partway")
                #expect(!leased.isEmpty, "killed while entries were in delivery")

                let second = try ProcessRunner.start(binary, arguments + ["--until-empty"], log: "\(directory.path)/second.log")
                let status = await second.waitForExit(timeout: 150)
                #expect(status == 0, "the second runner finished the queue: \(second.output)")
                if status == nil { await second.stop(grace: 1) }
                #expect(second.output.contains("outbound.released_leases=\(leased.count)"), "the crashed runner's leases were released")
                #expect(try await queue.statistics().depth == 0)
                #expect(await rig.waitForQueue(timeout: 60))

                let delivered = OutboundPostfix.deliveredMarkers(rig)
                let missing = markers.filter { !delivered.contains($0) }
                let duplicates = markers.filter { marker in delivered.filter { $0 == marker }.count > 1 }
                print("after restart: \(delivered.count) deliveries for \(markers.count) messages; duplicates: \(duplicates)")
                #expect(missing.isEmpty, "lost: \(missing)")
                #expect(delivered.count >= markers.count)
                // Every spool file removed — but for one the kill caught between its entry's last
                // commit and the unlink (it is quarantined 10 minutes later): a delivered message.
                let left = try FileManager.default.contentsOfDirectory(atPath: "\(queue.spool.path)/msg")
                #expect(left.count <= 4, "spool files left: \(left)")
                for name in left {
                    let text = (try? String(contentsOfFile: "\(queue.spool.path)/msg/\(name)", encoding: .utf8)) ?? ""
                    let marker = text.split(separator: "\n").first { $0.hasPrefix("X-Test-Marker: ") }.map { String($0.dropFirst("X-Test-Marker: ".count)) }
                    #expect(marker.map(delivered.contains) == true, "\(name) was left undelivered")
                }
            }
        }
    }
}

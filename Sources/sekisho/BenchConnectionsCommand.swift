import ArgumentParser
import Foundation
import Milter
import NIOCore
import NIOPosix


/// `sekisho bench connections`: opens many milter sessions at once and holds them, to measure
/// what idle connections cost the milter (give `--pid` to read its resident memory).
struct BenchConnectionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connections",
        abstract: "Open and hold many concurrent milter sessions; report the milter's memory."
    )

    @OptionGroup var connection: MilterSpecOptions

    @Option(help: "Sessions to open and hold.")
    var count = 10_000

    @Option(help: "Seconds to hold them once all are open.")
    var hold: Double = 5

    @Option(help: "PID of the milter, to report its resident memory (VmRSS).")
    var pid: Int?

    @Option(help: "Client event loop threads.")
    var threads = 2

    func run() async throws {
        OpenFileLimit.raiseToHardLimit()
        let address = try connection.address()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, threads))
        var clientConfiguration = connection.clientConfiguration()
        clientConfiguration.eventLoopGroup = group
        let configuration = clientConfiguration
        let rssBefore = pid.flatMap(residentKiB)
        let gate = HoldGate(expected: count)
        let clock = ContinuousClock()
        let started = clock.now
        let transaction = BenchMessage(bodySize: 512, headers: 5, recipients: 1).transaction
        let outcome = await withTaskGroup(of: Bool.self) { tasks in
            for index in 0..<count {
                tasks.addTask {
                    var arrived = false
                    do {
                        return try await MilterClient.withSession(to: address, configuration: configuration) { session in
                            _ = try await session.connect(
                                hostname: "idle\(index).example.net",
                                address: .inet(address: "198.51.100.\(index % 250 + 1)", port: UInt16(10_000 + index % 50_000))
                            )
                            _ = try await session.helo("idle\(index).example.net")
                            arrived = true
                            await gate.arrive(ok: true)
                            await gate.waitForRelease()
                            let result = try await session.send(transaction)
                            return result.decision == .continue || result.decision == .accept
                        }
                    } catch {
                        if !arrived { await gate.arrive(ok: false) }
                        return false
                    }
                }
            }
            await gate.waitForAllArrived()
            let opened = await gate.opened
            let openSeconds = (clock.now - started).seconds
            let rssHeld = pid.flatMap(residentKiB)
            print(String(format: "opened %d of %d sessions in %.2f s", opened, count, openSeconds))
            if let rssBefore, let rssHeld {
                print("milter VmRSS: \(rssBefore / 1024) MiB before, \(rssHeld / 1024) MiB with \(opened) sessions open")
            }
            try? await Task.sleep(for: .milliseconds(Int64(hold * 1000)))
            let rssAfterHold = pid.flatMap(residentKiB)
            if let rssAfterHold { print("milter VmRSS after \(hold) s hold: \(rssAfterHold / 1024) MiB") }
            await gate.release()
            var passed = 0
            for await ok in tasks where ok { passed += 1 }
            return (opened, passed, rssHeld)
        }
        try? await group.shutdownGracefully()
        print("messages accepted on held sessions after the hold: \(outcome.1) of \(outcome.0)")
        print("RESULT opened=\(outcome.0) passed=\(outcome.1) rss_kib=\(outcome.2 ?? 0)")
        if outcome.1 != count { throw ExitCode(1) }
    }

}

/// Resident memory of a process in KiB, from /proc/PID/status.
func residentKiB(_ pid: Int) -> Int? {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
    for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
        return Int(line.split(separator: " ").dropFirst().first ?? "")
    }
    return nil
}

/// Holds sessions until all have arrived, then releases them together.
actor HoldGate {
    let expected: Int
    private(set) var opened = 0
    private var arrived = 0
    private var arrivalWaiters: [CheckedContinuation<Void, Never>] = []
    private var releaseWaiters: [CheckedContinuation<Void, Never>] = []
    private var released = false

    init(expected: Int) {
        self.expected = expected
    }

    func arrive(ok: Bool) {
        arrived += 1
        if ok { opened += 1 }
        if arrived == expected {
            for waiter in arrivalWaiters { waiter.resume() }
            arrivalWaiters = []
        }
    }

    func waitForAllArrived() async {
        if arrived >= expected { return }
        await withCheckedContinuation { arrivalWaiters.append($0) }
    }

    func waitForRelease() async {
        if released { return }
        await withCheckedContinuation { releaseWaiters.append($0) }
    }

    func release() {
        released = true
        for waiter in releaseWaiters { waiter.resume() }
        releaseWaiters = []
    }
}

extension Duration {
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}

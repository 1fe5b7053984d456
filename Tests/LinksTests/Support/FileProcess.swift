import Foundation
import TestSupport

/// Runs a program with its output going to temporary files instead of pipes.
///
/// `ProcessRunner` reads pipes with blocking reads on Dispatch's global queue, which on Linux
/// also runs Swift concurrency's tasks; with many programs at once (curl per request, in tests
/// that run in parallel) the tasks starve for seconds until Dispatch adds threads. Files need no
/// reader while the program runs.
enum FileProcess {
    struct Result {
        var status: Int32
        var output: String
        var error: String
    }

    static func run(_ path: String, _ arguments: [String], timeout: TimeInterval = 120) async throws -> Result {
        let scratch = NSTemporaryDirectory() + "links-process-\(UInt64.random(in: 0...UInt64.max))"
        defer {
            try? FileManager.default.removeItem(atPath: scratch + ".out")
            try? FileManager.default.removeItem(atPath: scratch + ".err")
        }
        _ = FileManager.default.createFile(atPath: scratch + ".out", contents: nil)
        _ = FileManager.default.createFile(atPath: scratch + ".err", contents: nil)
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: scratch + ".out"))
        let error = try FileHandle(forWritingTo: URL(fileURLWithPath: scratch + ".err"))
        defer {
            try? output.close()
            try? error.close()
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["LC_ALL=C.UTF-8", path] + arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = error
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            if Date() > deadline { process.terminate() }
            try await Task.sleep(for: .milliseconds(10))
        }
        return Result(
            status: process.terminationStatus,
            output: (try? String(contentsOfFile: scratch + ".out", encoding: .utf8)) ?? "",
            error: (try? String(contentsOfFile: scratch + ".err", encoding: .utf8)) ?? "")
    }
}

import Foundation

/// External tools the tests run for real (7z, unzip, python3, …).
public enum Tool {
    /// `path` when it is installed; else the test cannot run (and under CI it fails).
    public static func require(_ path: String) throws -> String {
        guard TestEnvironment.hasExecutable(path) else { throw MissingComponent("\(path) (scripts/test installs it)") }
        return path
    }

    /// Runs a tool in a UTF-8 locale (so file names it writes or prints are UTF-8).
    public static func run(_ path: String, _ arguments: [String], timeout: TimeInterval = 120) async throws -> ProcessRunner.Result {
        try await ProcessRunner.run("/usr/bin/env", ["LC_ALL=C.UTF-8", path] + arguments, timeout: timeout)
    }
}

import Foundation
import Testing
import TestSupport

/// The real readers the archive tests check against: 7-Zip (`7z`), Info-ZIP `unzip` and
/// Python's `zipfile`. A test needing them runs when they are installed, fails when one is
/// missing and `CI` is set, and is skipped otherwise (TestEnvironment's rule).
enum ArchiveTools {
    static let names = ["7z", "unzip", "python3"]

    /// The first `name` on PATH.
    static func path(_ name: String) -> String? {
        let search = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in search.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Whether every reader is installed.
    static var allPresent: Bool { names.allSatisfy { path($0) != nil } }

    /// Runs a reader to completion.
    ///
    /// - Throws: ``MissingComponent`` when the tool is not installed.
    static func run(_ tool: String, _ arguments: [String], input: Data? = nil) async throws -> ProcessRunner.Result {
        guard let executable = path(tool) else {
            throw MissingComponent("\(tool) (Debian packages p7zip-full, unzip, python3)")
        }
        return try await ProcessRunner.run(executable, arguments, input: input)
    }

    /// Runs a Python program given as text, with arguments.
    static func python(_ program: String, _ arguments: [String]) async throws -> ProcessRunner.Result {
        try await run("python3", ["-c", program] + arguments)
    }
}

extension Trait where Self == ConditionTrait {
    /// Enabled when 7z, unzip and python3 are installed, or when `CI` is set (then a missing
    /// tool fails the test).
    static var needsArchiveTools: Self {
        .enabled(if: ArchiveTools.allPresent || TestEnvironment.isCI, "needs 7z, unzip and python3")
    }
}

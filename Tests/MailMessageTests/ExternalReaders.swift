import Foundation
import TestSupport

/// Independent readers of rewritten messages: CPython's `email`, `ripmime` and `munpack`.
enum ExternalReaders {
    static let python = "/usr/bin/python3"
    static let ripmime = "/usr/bin/ripmime"
    static let munpack = "/usr/bin/munpack"

    static var available: Bool {
        [python, ripmime, munpack].allSatisfy(TestEnvironment.hasExecutable)
    }

    /// Fails (with CI set) or skips when a reader is missing.
    static func require() throws -> Bool {
        if available { return true }
        if TestEnvironment.isCI { throw MissingComponent("python3, ripmime and munpack (Debian python3, ripmime, mpack)") }
        return false
    }

    static func temporaryDirectory() throws -> URL {
        let url = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("sekisho-mime-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func write(_ bytes: [UInt8], in directory: URL, name: String = "message.eml") throws -> URL {
        let url = directory.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url
    }

    /// What Python's email package sees.
    struct PythonView: Decodable {
        struct Part: Decodable {
            var content_type: String
            var filename: String?
            var size: Int
            var sha256: String
            var attachment: Bool
            var charset: String?
        }

        var subject: String?
        var content_type: String
        var defects: [String]
        var parts: [Part]
        var texts: [String]
    }

    static func pythonView(_ file: URL) async throws -> PythonView {
        let script = TestEnvironment.packageRoot.appendingPathComponent("Tests/MailMessageTests/Fixtures/pyemail_structure.py").path
        let result = try await ProcessRunner.run(python, [script, file.path])
        guard result.status == 0 else { throw ReaderError("python failed: \(result.error)") }
        return try JSONDecoder().decode(PythonView.self, from: Data(result.output.utf8))
    }

    /// Files ripmime extracts (name → content).
    static func ripmimeFiles(_ file: URL) async throws -> [String: Data] {
        let out = try temporaryDirectory()
        let result = try await ProcessRunner.run(ripmime, ["-i", file.path, "-d", out.path, "--no-nameless"])
        guard result.status == 0 else { throw ReaderError("ripmime failed: \(result.error)") }
        return try files(in: out)
    }

    /// Files munpack extracts (name → content).
    static func munpackFiles(_ file: URL) async throws -> [String: Data] {
        let out = try temporaryDirectory()
        let result = try await ProcessRunner.run(munpack, ["-q", "-f", "-C", out.path, file.path])
        guard result.status == 0 else { throw ReaderError("munpack failed: \(result.output) \(result.error)") }
        return try files(in: out)
    }

    private static func files(in directory: URL) throws -> [String: Data] {
        var result = [String: Data]()
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) {
            // Names that are not UTF-8 (raw Shift_JIS from old senders) cannot be reopened by name.
            if let data = try? Data(contentsOf: directory.appendingPathComponent(name)) { result[name] = data }
        }
        return result
    }

    struct ReaderError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}

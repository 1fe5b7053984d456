import Foundation
import Testing
import TestSupport

@testable import MailMessage

#if canImport(Glibc)
import Glibc
#endif

/// Large mail: spooling, flat memory, and the on-demand corpus messages (25 MiB, 27.4 MiB).
@Suite("Large messages")
struct LargeMessageTests {
    @Test("on-demand corpus messages: every manifest fact, parts spooled", arguments: Corpus.generatedIDs)
    func generated(id: String) async throws {
        let directory = try ExternalReaders.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let script = Corpus.directory.appendingPathComponent("generate.py").path
        let result = try await ProcessRunner.run("/usr/bin/python3", [script, "--only", id, "--out", directory.path, "--no-manifest"])
        try #require(result.status == 0, "generate.py: \(result.error)")
        let file = try #require(try FileManager.default.contentsOfDirectory(atPath: directory.path).first { $0.hasSuffix(".eml") })
        let message = try MailMessage.parse(contentsOfFile: directory.appendingPathComponent(file).path)
        #expect(message.spooledParts >= 1)
        let summary = try MessageSummary(message)
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(summary)) as? [String: Any] ?? [:]
        let problems = ManifestComparison.compare(expected: Corpus.entry(id), actual: json)
        #expect(problems.isEmpty, "\(id): \(problems)")
    }

    @Test("a 50 MB message: resident memory grows by less than 20 MB (sekisho inspect)")
    func memoryIsFlat() throws {
        let binary = try TestEnvironment.builtBinary("sekisho")
        let directory = try ExternalReaders.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let small = directory.appendingPathComponent("small.eml")
        let large = directory.appendingPathComponent("large.eml")
        let (size, digest) = try Self.writeMessage(to: small, attachmentBytes: 10_000)
        let (largeSize, largeDigest) = try Self.writeMessage(to: large, attachmentBytes: 37 << 20)
        let fileSize = try FileManager.default.attributesOfItem(atPath: large.path)[.size] as? Int ?? 0
        #expect(fileSize > 50_000_000)
        let smallRun = try Self.runMeasured(binary, ["inspect", "--json", small.path])
        let largeRun = try Self.runMeasured(binary, ["inspect", "--json", large.path])
        #expect(smallRun.status == 0 && largeRun.status == 0)
        #expect(smallRun.output.contains("\"size\" : \(size)") && smallRun.output.contains(digest))
        #expect(largeRun.output.contains("\"size\" : \(largeSize)") && largeRun.output.contains(largeDigest))
        let growth = largeRun.maxRSSKiB - smallRun.maxRSSKiB
        #expect(growth < 20 * 1024, "RSS \(smallRun.maxRSSKiB) KiB → \(largeRun.maxRSSKiB) KiB for a \(fileSize)-byte message")
    }

    /// A multipart/mixed message with a text part and one base64 attachment of `attachmentBytes`.
    static func writeMessage(to url: URL, attachmentBytes: Int) throws -> (Int, String) {
        FileManager.default.createFile(atPath: url.path, contents: nil)
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        handle.write(Data("From: a@example.com\r\nTo: b@example.net\r\nSubject: large\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"LARGE\"\r\n\r\n--LARGE\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n大きな添付ファイル\r\n--LARGE\r\nContent-Type: application/octet-stream; name=\"big.bin\"\r\nContent-Disposition: attachment; filename=\"big.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\n".utf8))
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var hasher = SHA256Digest()
        var remaining = attachmentBytes
        while remaining > 0 {
            let count = min(remaining, 57 * 1024)
            var chunk = [UInt8](repeating: 0, count: count)
            for index in 0..<count {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                chunk[index] = UInt8(truncatingIfNeeded: state >> 33)
            }
            hasher.update(chunk)
            handle.write(Data(Base64Encoder.encode(chunk)))
            remaining -= count
        }
        handle.write(Data("--LARGE--\r\n".utf8))
        return (attachmentBytes, hasher.hex())
    }

    struct Measured {
        var status: Int32
        var output: String
        var maxRSSKiB: Int
    }

    /// Runs a process to completion and reads its peak resident memory from wait4.
    static func runMeasured(_ path: String, _ arguments: [String]) throws -> Measured {
        let outputURL = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("sekisho-out-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: outputURL) }
        var actions: posix_spawn_file_actions_t = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, outputURL.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, path, &actions, nil, argv, environ)
        guard spawned == 0 else { throw ExternalReaders.ReaderError("posix_spawn \(path): \(spawned)") }
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
        let output = (try? String(contentsOf: outputURL, encoding: .utf8)) ?? ""
        return Measured(status: (status >> 8) & 0xFF, output: output, maxRSSKiB: usage.ru_maxrss)
    }
}

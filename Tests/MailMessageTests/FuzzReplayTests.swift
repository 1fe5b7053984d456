import Foundation
import Testing
import TestSupport

/// The MIME fuzz target replays the fixtures and the shared corpus without a crash or a
/// round-trip mismatch (the fuzz run itself is in docs/fuzzing.md).
@Suite("MIME fuzz replay")
struct FuzzReplayTests {
    @Test("mime-fuzz replays the fixtures and the corpus")
    func replay() async throws {
        let binary = try TestEnvironment.builtBinary("mime-fuzz")
        let fixtures = TestEnvironment.packageRoot.appendingPathComponent("Tests/MailMessageTests/Fixtures").path
        let corpus = try FileManager.default.contentsOfDirectory(atPath: Corpus.directory.path)
            .filter { $0.hasSuffix(".eml") }
            .map { Corpus.directory.appendingPathComponent($0).path }
            .filter { ((try? FileManager.default.attributesOfItem(atPath: $0)[.size] as? Int) ?? 0) < 200_000 }
        let crashes = TestEnvironment.packageRoot.appendingPathComponent("Fuzz/mime-seeds").path
        let result = try await ProcessRunner.run(binary, [fixtures, crashes] + corpus, timeout: 300)
        #expect(result.status == 0, "\(result.output)\(result.error)")
        #expect(result.output.contains("replayed"))
    }
}

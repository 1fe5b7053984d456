import Foundation
import Testing
import TestSupport

/// `sekisho inspect --json` prints the manifest's field names, so outside checks can use it.
@Suite("sekisho inspect")
struct InspectCommandTests {
    @Test("--json matches the manifest facts for a Japanese message with attachments")
    func json() async throws {
        let binary = try TestEnvironment.builtBinary("sekisho")
        for id in ["p20", "p34", "p64"] {
            let result = try await ProcessRunner.run(binary, ["inspect", "--json", Corpus.path(id)])
            #expect(result.status == 0, "\(result.error)")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
            for key in ["subject", "from", "to", "cc", "attachments", "body_text", "warnings", "mime_tree", "body_parts"] {
                #expect(json[key] != nil, "\(id): no \(key)")
            }
            let problems = ManifestComparison.compare(expected: Corpus.entry(id), actual: json)
            #expect(problems.isEmpty, "\(id): \(problems)")
        }
    }

    @Test("the text report escapes control characters in hostile names")
    func text() async throws {
        let binary = try TestEnvironment.builtBinary("sekisho")
        let result = try await ProcessRunner.run(binary, ["inspect", Corpus.path("p64")])
        #expect(result.status == 0)
        #expect(!result.output.unicodeScalars.contains { $0 == "\u{1B}" || $0 == "\u{202E}" || $0 == "\u{0}" })
        #expect(result.output.contains("\\u{202e}"))
        #expect(result.output.contains("UNSAFE(path-traversal → passwd)"))
    }

    @Test("a missing file is a clear error, not a crash")
    func missingFile() async throws {
        let binary = try TestEnvironment.builtBinary("sekisho")
        let result = try await ProcessRunner.run(binary, ["inspect", "/nonexistent/message.eml"])
        #expect(result.status != 0)
        #expect(result.error.contains("cannot read /nonexistent/message.eml"))
    }
}

import Foundation
import MailMessage
import Testing
import TestSupport

/// Our own golden cases beside the shared corpus: `Fixtures/NN-name.eml` and
/// `NN-name.expected.json` (one manifest-style entry, written by `make-fixtures.py` from how each
/// message was built, not from our parser).
@Suite("Golden fixtures")
struct GoldenFixtureTests {
    static let directory = TestEnvironment.packageRoot.appendingPathComponent("Tests/MailMessageTests/Fixtures")

    static let names: [String] = {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return files.filter { $0.hasSuffix(".expected.json") }.map { String($0.dropLast(".expected.json".count)) }.sorted()
    }()

    @Test("the fixtures are present")
    func present() {
        #expect(Self.names.count >= 5, "fixtures missing in \(Self.directory.path)")
    }

    @Test("every expected fact holds", arguments: names)
    func facts(name: String) throws {
        let expectedData = try Data(contentsOf: Self.directory.appendingPathComponent("\(name).expected.json"))
        let expected = try #require(try JSONSerialization.jsonObject(with: expectedData) as? [String: Any])
        let file = Self.directory.appendingPathComponent("\(name).eml").path
        let message = try MailMessage.parse(contentsOfFile: file)
        let summary = try MessageSummary(message)
        let actual = try JSONSerialization.jsonObject(with: JSONEncoder().encode(summary)) as? [String: Any] ?? [:]
        let problems = ManifestComparison.compare(expected: expected, actual: actual)
        #expect(problems.isEmpty, "\(name): \(problems.joined(separator: "\n"))")
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
        #expect(try message.serialized() == bytes, "\(name): round trip")
    }
}

import TestSupport
import Foundation
import MailMessage
import Testing

/// Every fact of `shared/corpus/manifest.json` for every stored message, and the byte-exact
/// round trip.
@Suite("Corpus manifest")
struct CorpusManifestTests {
    @Test("the corpus is present", .tags(.corpus))
    func corpusIsPresent() {
        #expect(Corpus.storedIDs.count >= 40, "shared/corpus/manifest.json not found at \(Corpus.directory.path)")
    }

    @Test("every manifest fact holds", arguments: Corpus.storedIDs)
    func manifestFacts(id: String) throws {
        let expected = Corpus.entry(id)
        let message = try MailMessage.parse(contentsOfFile: Corpus.path(id))
        let summary = try MessageSummary(message)
        let encoded = try JSONSerialization.jsonObject(with: JSONEncoder().encode(summary)) as? [String: Any] ?? [:]
        let problems = ManifestComparison.compare(expected: expected, actual: encoded)
        #expect(problems.isEmpty, "\(id): \(problems.joined(separator: "\n"))")
    }

    @Test("parse then serialise is byte-identical", arguments: Corpus.storedIDs)
    func roundTrip(id: String) throws {
        let bytes = try Corpus.bytes(id)
        let message = try MailMessage.parse(bytes)
        let out = try message.serialized()
        #expect(out.count == bytes.count, "\(id): \(out.count) bytes out, \(bytes.count) in")
        #expect(out == bytes, "\(id): bytes differ")
    }
}

extension Tag {
    @Tag static var corpus: Self
}

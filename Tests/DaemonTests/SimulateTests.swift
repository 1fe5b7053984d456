import Foundation
import Testing
import TestSupport

/// `sekisho simulate` output is golden: the expected reports are in Fixtures/ (reviewed by
/// hand; regenerate only on a deliberate change of the report).
@Suite("sekisho simulate")
struct SimulateTests {
    static let fixtures = TestEnvironment.packageRoot.appendingPathComponent("Tests/DaemonTests/Fixtures")
    static let message = TestEnvironment.packageRoot.appendingPathComponent("Tests/MailMessageTests/Fixtures/06-outlook-q-name-only-inline-image.eml").path

    static let cases: [(String, [String])] = [
        ("simulate-outbound", ["--from", "taro@corp.example", "--rcpt", "a@partner.example", "--rcpt", "ceo@partner.example", "--rcpt", "hanako@corp.example", "--client", "10.2.3.4"]),
        ("simulate-inbound", ["--from", "mallory@outside.example", "--rcpt", "hanako@corp.example", "--client", "203.0.113.9"]),
    ]

    @Test("golden reports", arguments: cases)
    func golden(name: String, arguments: [String]) async throws {
        let binary = try TestEnvironment.builtBinary("sekisho")
        let policy = Self.fixtures.appendingPathComponent("simulate-policy.yaml").path
        let result = try await ProcessRunner.run(binary, ["simulate", "--config", policy] + arguments + [Self.message])
        #expect(result.status == 0, "\(result.error)")
        let expected = try String(contentsOf: Self.fixtures.appendingPathComponent("\(name).expected"), encoding: .utf8)
        #expect(result.output == expected)
    }

    @Test("--print-message runs the filters on a copy: encrypt and link shown, nothing stored or sent")
    func printMessage() async throws {
        let binary = try TestEnvironment.builtBinary("sekisho")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sekisho-simulate-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let policy = "\(directory)/policy.yaml"
        try """
            state_directory: \(directory)/state
            internal: {domains: [corp.example], networks: [127.0.0.0/8]}
            reinjection: {relay: "127.0.0.1:10027"}
            links: {base_url: "https://files.example.co.jp"}
            rules:
              - name: zip
                when: {direction: outbound, recipient: [zip.example]}
                actions: [encrypt]
              - name: link
                when: {direction: outbound, recipient: [link.example]}
                actions: [link]
            """.write(toFile: policy, atomically: true, encoding: .utf8)
        let result = try await ProcessRunner.run(
            binary, ["simulate", "--config", policy, "--from", "taro@corp.example", "--rcpt", "a@zip.example", "--rcpt", "b@link.example", "--client", "127.0.0.1", "--print-message", Corpus.path("p10")]
        )
        #expect(result.status == 0, "\(result.error)")
        #expect(result.output.contains("Content-Type: application/zip"))
        #expect(result.output.contains("https://files.example.co.jp/l/SIMULATED-TOKEN"))
        #expect(result.output.contains("--- follow-up notice from <> to taro@corp.example (not sent) ---"))
        #expect(!FileManager.default.fileExists(atPath: "\(directory)/state"))
    }

    @Test("a broken policy or a missing recipient is a clear error")
    func errors() async throws {
        let binary = try TestEnvironment.builtBinary("sekisho")
        let noRecipient = try await ProcessRunner.run(binary, ["simulate", "--from", "a@b.example", Self.message])
        #expect(noRecipient.status != 0)
        #expect(noRecipient.error.contains("--rcpt"))
        let badPolicy = try await ProcessRunner.run(binary, ["simulate", "--config", "/nonexistent.yaml", "--from", "a@b.example", "--rcpt", "c@d.example", Self.message])
        #expect(badPolicy.status == 1)
        #expect(badPolicy.error.contains("/nonexistent.yaml"))
    }
}

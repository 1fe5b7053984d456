import Foundation
import Milter
import Policy
import Testing
import TestSupport

@testable import Daemon

@Suite("Policy file")
struct ConfigurationTests {
    static let root = TestEnvironment.packageRoot

    @Test("etc/sekisho.yaml (everything commented out) gives the embedded defaults")
    func defaultsFile() throws {
        let configuration = try ConfigurationLoader.load(file: Self.root.appendingPathComponent("etc/sekisho.yaml").path)
        let defaults = GatewayConfiguration()
        #expect(configuration.milterListeners == defaults.milterListeners)
        #expect(configuration.webListen == "127.0.0.1:8899")
        #expect(configuration.storage == "sqlite:./var/sekisho.sqlite")
        #expect(configuration.onError == .tempfail)
        #expect(configuration.rules.isEmpty)
    }

    @Test("the commented example in etc/sekisho.yaml is itself valid once uncommented")
    func uncommentedExample() throws {
        let text = try String(contentsOf: Self.root.appendingPathComponent("etc/sekisho.yaml"), encoding: .utf8)
        // Below the opening comment block, strip one level of "# " (explanations are "# # …" and
        // stay comments).
        var inHeader = true
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            if inHeader {
                if line.isEmpty { inHeader = false }
                return ""
            }
            return line.hasPrefix("# ") ? String(line.dropFirst(2)) : String(line)
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sekisho-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try "someone@big.example\n# comment\n\nbig.example\n".write(to: directory.appendingPathComponent("recipients.txt"), atomically: true, encoding: .utf8)
        let configuration = try ConfigurationLoader.parse(lines.joined(separator: "\n"), file: "uncommented.yaml", baseDirectory: directory.path)
        #expect(configuration.rules.map(\.name) == ["encrypt-outbound-attachments"])
        #expect(configuration.tables["big-list"]?.count == 2)
        #expect(configuration.filters["encrypt"]?.timeout == .seconds(60))
    }

    @Test("etc/examples/rules.yaml: every kind of value read into types")
    func example() throws {
        let configuration = try ConfigurationLoader.load(file: Self.root.appendingPathComponent("etc/examples/rules.yaml").path)
        #expect(configuration.milterListeners == [.inet(host: "127.0.0.1", port: 10029)])
        #expect(configuration.internalScope.networks.count == 2)
        #expect(configuration.internalScope.daemonNames == ["submission"])
        #expect(configuration.internalScope.domains.contains("a@corp.example"))
        #expect(configuration.internalScope.domains.contains("a@sub.corp.example"))
        #expect(!configuration.internalScope.domains.contains("a@sub.corp-mail.example"))
        #expect(configuration.rules.map(\.name) == ["encrypt-to-partners", "strip-executables-inbound", "trial-banner", "archive-everything"])
        #expect(configuration.rules[0].actions.first?.parameters["zip_name"] == "AttachFile.%Y%m%d.zip")
        #expect(configuration.rules[2].dryRun)
        #expect(configuration.rules[3].stop)
        #expect(configuration.filters["encrypt"]?.timeout == .seconds(30))
        #expect(configuration.filters["encrypt"]?.parameters["password_length"] == "12")
        #expect(configuration.filters["archive"]?.onError == .accept)
        #expect(configuration.settings(forFilter: "strip").onError == .tempfail)

        // The rules decide as the policy says.
        let engine = RuleEngine(rules: configuration.rules, classifier: configuration.internalScope.classifier)
        let facts = MessageFacts(sender: "taro@corp.example", clientAddress: "10.2.3.4", subject: "x", size: 1000, attachments: [.init(filename: "a.pdf", contentType: "application/pdf", size: 10)])
        let decisions = engine.decide(facts, recipients: ["a@partner.example", "ceo@partner.example", "b@corp.example"])
        #expect(decisions.map { $0.actions.map(\.filter) } == [["encrypt", "archive"], ["archive"], ["archive"]])
    }

    @Test("etc/examples for landed filters: valid, rig ports, and every filter they name is built in", arguments: ["gateway.yaml", "attachment-protection.yaml"])
    func filterExamples(file: String) throws {
        let configuration = try ConfigurationLoader.load(file: Self.root.appendingPathComponent("etc/examples/\(file)").path)
        #expect(configuration.milterListeners == [.inet(host: "127.0.0.1", port: 10029)])
        #expect(configuration.reinjectionRelay == "127.0.0.1:10027")
        let builtIn = Gateway.builtInFilterNames
        let named = Set(configuration.rules.flatMap { $0.actions.map(\.filter) })
        #expect(!named.isEmpty && named.isSubset(of: builtIn))
    }

    /// (yaml, line, key, words in the message)
    static let errors: [(String, Int?, String, String)] = [
        ("milter:\n  listen: tcp:1234\n", 2, "milter.listen", "not a milter socket"),
        ("milter:\n  lisen: inet:1@127.0.0.1\n", 2, "milter.lisen", "unknown key"),
        ("on_error: maybe\n", 1, "on_error", "tempfail, accept or reject"),
        ("storage: mysql://x\n", 1, "storage", "sqlite:PATH"),
        ("web:\n  listen: localhost\n", 2, "web.listen", "HOST:PORT"),
        ("internal:\n  networks: [10.0.0.0/33]\n", 2, "internal.networks", "not an IP address"),
        ("tables:\n  t:\n    entries: [\"bad entry\"]\n", 3, "tables.t", "bad entry"),
        ("rules:\n  - when: {direction: outbound}\n    actions: [archive]\n", 2, "rules[0]", "needs a name"),
        ("rules:\n  - name: r\n    when:\n      direction: sideways\n    actions: [archive]\n", 4, "rules[0].when.direction", "not a direction"),
        ("rules:\n  - name: r\n    when:\n      recipient: partnrs\n    actions: [archive]\n", 4, "rules[0].when.recipient", "no table named"),
        ("rules:\n  - name: r\n    actions: [encrpyt]\n", 3, "rules[0].actions[0]", "unknown filter"),
        ("rules:\n  - name: r\n    when:\n      header: {name: X, matches: \"(\"}\n    actions: [archive]\n", 4, "rules[0].when.header.matches", "regular expression"),
        ("rules:\n  - name: r\n    when:\n      size_at_most: 10Q\n    actions: [archive]\n", 4, "rules[0].when.size_at_most", "size"),
        ("rules:\n  - name: r\n    actions: [strip]\n  - name: r\n    actions: [strip]\n", 4, "rules[1]", "exists already"),
        ("rules:\n  - name: r\n", 2, "rules[0]", "needs actions"),
        ("filters:\n  encrypt:\n    timeout: forever\n", 3, "filters.encrypt.timeout", "duration"),
        ("filters:\n  zipper: {}\n", 2, "filters.zipper", "unknown filter"),
        ("logging:\n  level: loud\n", 2, "logging.level", "expected trace"),
        ("milter: [\n", 2, "", "not valid YAML"),
        ("tables:\n  t:\n    file: /nonexistent/list.txt\n", 3, "tables.t.file", "cannot read"),
    ]

    @Test("errors name the key and the line", arguments: errors)
    func errorsNameKeyAndLine(yaml: String, line: Int?, key: String, words: String) {
        do {
            _ = try ConfigurationLoader.parse(yaml, file: "test.yaml")
            Issue.record("accepted: \(yaml)")
        } catch {
            #expect(error.key == key, "\(error)")
            #expect(error.line == line, "\(error)")
            #expect(error.message.contains(words), "\(error)")
            #expect(error.description.hasPrefix("test.yaml:"), "\(error)")
        }
    }

    @Test("sekisho check-config: OK with a summary, or the error and exit 1")
    func checkConfigCommand() async throws {
        let binary = try TestEnvironment.builtBinary("sekisho")
        let good = try await ProcessRunner.run(binary, ["check-config", Self.root.appendingPathComponent("etc/examples/rules.yaml").path])
        #expect(good.status == 0, "\(good.error)")
        #expect(good.output.contains("rule encrypt-to-partners: 4 conditions → encrypt(password=random zip_name=AttachFile.%Y%m%d.zip)"))
        #expect(good.output.contains("[dry_run]"))
        let broken = FileManager.default.temporaryDirectory.appendingPathComponent("broken-\(UUID().uuidString).yaml")
        try "rules:\n  - name: r\n    actions: [encrpyt]\n".write(to: broken, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: broken) }
        let bad = try await ProcessRunner.run(binary, ["check-config", broken.path])
        #expect(bad.status == 1)
        #expect(bad.error.contains(":3: rules[0].actions[0]: unknown filter \"encrpyt\""), "\(bad.error)")
    }
}

import Foundation
import Outbound
import Policy
import Testing
import TestSupport

@testable import Daemon

/// The `duplicate:` section, the address maps and the per-message plan: pure, no network.
@Suite("Duplication settings and plan")
struct DuplicateConfigurationTests {
    static let section = """
        reinjection: {relay: 127.0.0.1:10027}
        duplicate:
          destinations:
            internal:
              relay: 10.0.0.25:2525
              tls: required
              verify: no-hostname
              sender: "<>"
              recipient_map: ["@example.jp @lg.example.jp", "boss@example.jp chief@lg.example.jp", "!secret.example.jp"]
              unmapped: drop
              retry: {initial_delay: 30s, maximum_delay: 10m, maximum_age: 2d}
              failure_report: notify:postmaster@example.jp
              sanitize:
                attachments: risky
                risky_kinds: [executable, macro]
                html_to_text: yes
                strip_active_html: yes
                defang_urls: yes
                mark_header: X-Copy-Of
                subject_prefix: "[複製] "
                banner: "複製です"
            journal:
              relay: "[::1]:25"
              tls: none
              recipients: [journal@example.jp]
        """

    @Test("every key is read into the destination")
    func readsEverything() throws {
        let configuration = try ConfigurationLoader.parse(Self.section + "\nrules:\n  - name: r\n    actions:\n      - duplicate: {to: [internal, journal]}\n")
        let lg = try #require(configuration.duplicate.destinations["internal"])
        #expect(lg.relay.host == "10.0.0.25" && lg.relay.port == 2525)
        #expect(lg.relay.tls.mode == .required && lg.relay.tls.verification == .noHostname)
        #expect(lg.sender == .null)
        #expect(lg.dropsUnmappedRecipients)
        #expect(lg.retry.initialDelay == .seconds(30) && lg.retry.maximumDelay == .seconds(600) && lg.retry.maximumAge == .seconds(172_800))
        #expect(lg.failurePolicy == .notify(try SMTPAddress("postmaster@example.jp")))
        #expect(lg.sanitizing.attachments == .risky && lg.sanitizing.riskyKinds == [.executable, .macro])
        #expect(lg.sanitizing.htmlToText && lg.sanitizing.stripActiveHTML && lg.sanitizing.defangURLs)
        #expect(lg.sanitizing.markHeader == "X-Copy-Of" && lg.sanitizing.subjectPrefix == "[複製] " && lg.sanitizing.banner == "複製です")
        let journal = try #require(configuration.duplicate.destinations["journal"])
        #expect(journal.relay.host == "::1" && journal.relay.tls.mode == .none)
        #expect(journal.recipients == .fixed(["journal@example.jp"]))
        #expect(journal.sanitizing == CopySanitizing())
    }

    @Test("the envelope of a copy: kept, mapped, fixed, null; unmapped recipients dropped or kept; no repeats")
    func envelope() throws {
        let configuration = try ConfigurationLoader.parse(Self.section)
        let lg = try #require(configuration.duplicate.destinations["internal"])
        #expect(lg.copySender(for: "a@partner.example") == "")
        #expect(lg.copyRecipients(for: ["Taro@Example.jp", "boss@example.jp", "x@secret.example.jp", "y@partner.example", "taro@example.jp"])
            == ["Taro@lg.example.jp", "chief@lg.example.jp"])
        var kept = lg
        kept.dropsUnmappedRecipients = false
        kept.sender = .keep
        kept.senderMap = try AddressRewrite(lines: ["partner.example @relay.example"])
        #expect(kept.copyRecipients(for: ["x@secret.example.jp", "y@partner.example"]) == ["x@secret.example.jp", "y@partner.example"])
        #expect(kept.copySender(for: "a@mx.partner.example") == "a@relay.example")
        #expect(kept.copySender(for: "other@else.example") == "other@else.example")
        #expect(kept.copySender(for: "") == "", "a bounce stays a bounce")
        let journal = try #require(configuration.duplicate.destinations["journal"])
        #expect(journal.copyRecipients(for: ["a@example.jp", "b@example.jp"]) == ["journal@example.jp"])
    }

    @Test("mistakes are refused with the key and the reason", arguments: [
        ("duplicate:\n  destinations:\n    x:\n      tls: none\n", "relay is required"),
        ("duplicate:\n  destinations:\n    x:\n      relay: host:99999\n", "invalid relay"),
        ("duplicate:\n  destinations:\n    x:\n      relay: h:25\n      tls: sometimes\n", "expected none, opportunistic or required"),
        ("duplicate:\n  destinations:\n    x:\n      relay: h:25\n      failure_report: bounce\n", "never bounced"),
        ("duplicate:\n  destinations:\n    x:\n      relay: h:25\n      sanitize: {attachments: some}\n", "expected keep, all or risky"),
        ("duplicate:\n  destinations:\n    x:\n      relay: h:25\n      sanitize: {risky_kinds: [scripts]}\n", "unknown kind"),
        ("duplicate:\n  destinations:\n    x:\n      relay: h:25\n      recipient_map: [\"a@b\"]\n", "PATTERN REPLACEMENT"),
        ("duplicate:\n  destinations:\n    x:\n      relay: h:25\n      recipient_map: [\"a@b c@d@e\"]\n", "user@domain or @domain"),
        ("duplicate:\n  destinations:\n    x:\n      relay: h:25\n      retry: {initial_delay: 0s}\n", "initial_delay"),
        ("duplicate:\n  destinations:\n    x:\n      relay: h:25\n      auth: {username: u, password_file: /nonexistent}\n", "cannot read"),
        ("duplicate:\n  destinations:\n    x:\n      relay: h:25\n      colour: red\n", "unknown key"),
        ("duplicate:\n  destinations:\n    x:\n      relay: h:25\nrules:\n  - name: r\n    actions:\n      - duplicate: {to: y}\n", "no destination named \"y\""),
        ("duplicate:\n  destinations:\n    x: {relay: h:25}\n    y: {relay: h:26}\nrules:\n  - name: r\n    actions: [duplicate]\n", "say which destination"),
        ("rules:\n  - name: r\n    actions: [duplicate]\n", "needs the duplicate: section"),
        ("duplicate:\n  destinations:\n    x:\n      relay: h:25\n      failure_report: notify:ops@example.jp\n", "reinjection.relay"),
    ])
    func refused(yaml: String, reason: String) {
        do {
            _ = try ConfigurationLoader.parse(yaml)
            Issue.record("accepted: \(yaml)")
        } catch {
            #expect("\(error)".contains(reason), "\(error)")
        }
    }

    @Test("AUTH: the password file's first line, only with tls: required, only the credentials' name in the relay")
    func authentication() throws {
        let directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("sekisho-auth-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try "s3cret\r\nignored\n".write(toFile: "\(directory.path)/copy.pass", atomically: true, encoding: .utf8)
        let yaml = "duplicate:\n  destinations:\n    lg:\n      relay: h:587\n      tls: required\n      auth: {username: copy, password_file: copy.pass}\n"
        let configuration = try ConfigurationLoader.parse(yaml, baseDirectory: directory.path)
        let destination = try #require(configuration.duplicate.destinations["lg"])
        #expect(destination.credentials == SMTPCredentials(username: "copy", password: "s3cret"))
        #expect(destination.relay.credentials == "duplicate:lg")
        #expect(!String(decoding: try JSONEncoder().encode(destination.relay), as: UTF8.self).contains("s3cret"))
        let delivery = Gateway.deliveryConfiguration(configuration, defaultRelay: nil)
        #expect(delivery.client.namedCredentials["duplicate:lg"]?.password == "s3cret")
        #expect(delivery.destinations["lg"]?.failurePolicy == .drop)
        do {
            _ = try ConfigurationLoader.parse(yaml.replacingOccurrences(of: "tls: required", with: "tls: opportunistic"), baseDirectory: directory.path)
            Issue.record("AUTH without required TLS accepted")
        } catch {
            #expect("\(error)".contains("tls: required"))
        }
    }

    @Test("the plan: one copy per destination with the recipients whose rule chose it; duplicate never splits the message")
    func plan() throws {
        let yaml = Self.section + """

            internal:
              domains: [example.jp]
            rules:
              - name: ours
                when: {recipient: [example.jp]}
                actions:
                  - duplicate: {to: internal}
              - name: theirs
                when: {recipient: [other.example]}
                actions:
                  - duplicate: {to: [journal, internal]}
            """
        let configuration = try ConfigurationLoader.parse(yaml)
        let facts = MessageFacts(sender: "a@partner.example", clientAddress: "192.0.2.1", subject: "s", size: 10)
        let simulation = PolicySimulation(configuration: configuration, facts: facts, recipients: ["taro@example.jp", "x@other.example", "hanako@example.jp"])
        #expect(simulation.groups.count == 1, "duplicate is message-level: no split")
        let plan = try DuplicateStep.plan(simulation.decisions, settings: configuration.duplicate) { $0.parameters }
        #expect(plan.map(\.destination.name) == ["internal", "journal"])
        #expect(plan.first?.recipients == ["taro@example.jp", "x@other.example", "hanako@example.jp"])
        #expect(plan.last?.recipients == ["x@other.example"])
        #expect(simulation.report(messageSummary: "m").contains("duplicated once per destination"))
    }

    @Test("AddressRewrite: most specific entry wins; @domain keeps the local part; exclusions")
    func addressRewrite() throws {
        let map = try AddressRewrite(lines: ["# comment", "", "example.jp @lg.example.jp", "@sales.example.jp @s.lg.example.jp", "ceo@example.jp office@lg.example.jp", "!hr.example.jp"])
        #expect(map.rewrite("a@example.jp") == "a@lg.example.jp")
        #expect(map.rewrite("b@dev.example.jp") == "b@lg.example.jp")
        #expect(map.rewrite("c@sales.example.jp") == "c@s.lg.example.jp")
        #expect(map.rewrite("CEO@Example.JP") == "office@lg.example.jp")
        #expect(map.rewrite("d@hr.example.jp") == nil)
        #expect(map.rewrite("e@else.example") == nil)
    }
}

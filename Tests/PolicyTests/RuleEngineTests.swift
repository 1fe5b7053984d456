import Testing

@testable import Policy

@Suite("Rule engine")
struct RuleEngineTests {
    let classifier = DirectionClassifier(
        internalNetworks: [try! NetworkRange(parsing: "10.0.0.0/8")],
        internalDomains: try! AddressTable(["corp.example"]),
        authenticatedIsInternal: true,
        internalDaemonNames: ["submission"]
    )

    func facts(client: String? = "10.1.2.3", auth: String? = nil, daemon: String? = nil, subject: String = "report", size: Int = 10_000, attachments: [MessageFacts.AttachmentFact] = [], headers: [(String, String)] = []) -> MessageFacts {
        MessageFacts(
            sender: "taro@corp.example", clientAddress: client, authenticatedUser: auth, daemonName: daemon,
            headers: headers.map { (name: $0.0, value: $0.1) }, subject: subject, size: size, attachments: attachments
        )
    }

    @Test("direction: network, AUTH or daemon name makes the sender internal; recipient domain decides internal vs outbound")
    func direction() {
        #expect(classifier.direction(facts(), recipient: "x@partner.example") == .outbound)
        #expect(classifier.direction(facts(), recipient: "x@corp.example") == .internalOnly)
        #expect(classifier.direction(facts(client: "203.0.113.5"), recipient: "x@corp.example") == .inbound)
        #expect(classifier.direction(facts(client: "203.0.113.5", auth: "taro"), recipient: "x@partner.example") == .outbound)
        #expect(classifier.direction(facts(client: "203.0.113.5", daemon: "submission"), recipient: "x@partner.example") == .outbound)
        #expect(classifier.direction(facts(client: nil), recipient: "x@partner.example") == .inbound)
    }

    @Test("per-recipient decisions with exclusions, first rule per filter, stop and dry run")
    func perRecipient() throws {
        let engine = RuleEngine(
            rules: [
                Rule(name: "no-encrypt-partner-ceo", conditions: [.recipient(try AddressTable(["ceo@partner.example"]))], actions: [RuleAction(filter: "encrypt", parameters: ["mode": "none"])]),
                Rule(name: "encrypt-outbound", conditions: [.direction([.outbound]), .recipient(try AddressTable(["!trusted.example", "example", "partner.example"]))], actions: [RuleAction(filter: "encrypt", parameters: ["password": "random"]), RuleAction(filter: "archive")]),
                Rule(name: "archive-all", actions: [RuleAction(filter: "archive", parameters: ["folder": "all"])], stop: true),
                Rule(name: "never-reached", actions: [RuleAction(filter: "strip")]),
                Rule(name: "trial-banner", actions: [RuleAction(filter: "banner")], dryRun: true),
            ],
            classifier: classifier
        )
        let decisions = engine.decide(facts(), recipients: ["a@partner.example", "ceo@partner.example", "b@trusted.example", "c@corp.example"])
        let summary = decisions.map { "\($0.recipient) \($0.direction.rawValue) [\($0.matchedRules.joined(separator: ","))] \($0.actions.map(\.description).joined(separator: " "))" }
        #expect(summary == [
            "a@partner.example outbound [encrypt-outbound,archive-all] encrypt(password=random) archive",
            "ceo@partner.example outbound [no-encrypt-partner-ceo,encrypt-outbound,archive-all] encrypt(mode=none) archive",
            "b@trusted.example outbound [archive-all] archive(folder=all)",
            "c@corp.example internal [archive-all] archive(folder=all)",
        ])
        #expect(decisions.allSatisfy { $0.dryRunActions.isEmpty })  // `stop` came first
        let groups = RuleEngine.groups(decisions)
        #expect(groups.map { $0.map(\.recipient) } == [["a@partner.example"], ["ceo@partner.example"], ["b@trusted.example", "c@corp.example"]])
    }

    @Test("dry-run rules are reported but add nothing to carry out")
    func dryRun() {
        let engine = RuleEngine(rules: [Rule(name: "trial", actions: [RuleAction(filter: "strip")], dryRun: true), Rule(name: "real", actions: [RuleAction(filter: "strip", parameters: ["types": "exe"])])])
        let decision = engine.decide(facts(), recipients: ["x@y.example"])[0]
        #expect(decision.matchedRules == ["trial", "real"])
        #expect(decision.dryRunActions.map(\.filter) == ["strip"])
        #expect(decision.actions.map(\.description) == ["strip(types=exe)"])
    }

    static let conditionCases: [(String, RuleCondition, Bool)] = [
        ("subject keyword, case-insensitive", .subjectContains(["[SECURE]"]), true),
        ("subject keyword absent", .subjectContains(["confidential"]), false),
        ("size at least", .sizeAtLeast(5_000), true),
        ("size at most", .sizeAtMost(5_000), false),
        ("attachment extension", .attachmentExtension(["xlsx"]), true),
        ("attachment extension absent", .attachmentExtension(["exe"]), false),
        ("attachment type wildcard", .attachmentType(["application/*"]), true),
        ("attachment type exact", .attachmentType(["image/png"]), false),
        ("attachment name regex", .attachmentName(try! HeaderPattern("^見積")), true),
        ("has attachments", .hasAttachments(true), true),
        ("header regex", .header(name: "x-mailer", pattern: try! HeaderPattern("outlook 16")), true),
        ("header regex other header", .header(name: "x-priority", pattern: try! HeaderPattern("1")), false),
        ("client network", .clientNetwork([try! NetworkRange(parsing: "10.0.0.0/8")], negated: false), true),
        ("client network negated", .clientNetwork([try! NetworkRange(parsing: "10.0.0.0/8")], negated: true), false),
        ("authenticated", .authenticated(true), false),
        ("not authenticated", .authenticated(false), true),
        ("sender table", .sender(try! AddressTable(["corp.example"])), true),
        ("sender excluded", .sender(try! AddressTable(["!taro@corp.example", "corp.example"])), false),
    ]

    @Test("each condition", arguments: conditionCases)
    func conditions(label: String, condition: RuleCondition, expected: Bool) {
        let facts = facts(
            subject: "Re: [secure] 見積書の送付",
            attachments: [MessageFacts.AttachmentFact(filename: "見積書.XLSX", contentType: "application/vnd.ms-excel", size: 2_000)],
            headers: [("X-Mailer", "Microsoft Outlook 16.0")]
        )
        let engine = RuleEngine(rules: [Rule(name: "r", conditions: [condition], actions: [RuleAction(filter: "f")])], classifier: classifier)
        #expect(engine.decide(facts, recipients: ["x@partner.example"])[0].actions.isEmpty != expected, "\(label)")
    }

    @Test("an authenticated user list is case-insensitive on the login")
    func authenticatedUsers() {
        let engine = RuleEngine(rules: [Rule(name: "r", conditions: [.authenticatedUser(["taro"])], actions: [RuleAction(filter: "f")])])
        #expect(engine.decide(facts(auth: "Taro"), recipients: ["x@y.example"])[0].actions.count == 1)
        #expect(engine.decide(facts(auth: nil), recipients: ["x@y.example"])[0].actions.isEmpty)
    }
}

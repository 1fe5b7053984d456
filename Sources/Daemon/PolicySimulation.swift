import MailMessage
import Policy

/// What the policy would do with one message — per recipient the direction, the rules that
/// matched, the actions, and the messages the gateway would deliver — without side effects.
/// `sekisho simulate` prints it; the gateway logs the same decisions.
public struct PolicySimulation: Sendable {
    public let facts: MessageFacts
    public let senderIsInternal: Bool
    public let decisions: [RecipientDecision]
    /// Recipients grouped by identical actions: the first group stays the original message.
    /// Message-level actions (``messageLevelFilters``) are not in the groups' actions: they
    /// never split a message.
    public let groups: [[RecipientDecision]]

    /// Filters that act once per message, not per recipient group (the archive keeps one copy;
    /// duplication sends one copy per destination).
    public static let messageLevelFilters: Set<String> = ["archive", "duplicate"]

    /// Runs the configured rules over a message.
    public init(configuration: GatewayConfiguration, facts: MessageFacts, recipients: [String]) {
        let engine = RuleEngine(rules: configuration.rules, classifier: configuration.internalScope.classifier)
        self.facts = facts
        senderIsInternal = engine.classifier.senderIsInternal(facts)
        decisions = engine.decide(facts, recipients: recipients)
        groups = RuleEngine.groups(decisions.map { decision in
            var stripped = decision
            stripped.actions.removeAll { Self.messageLevelFilters.contains($0.filter) }
            return stripped
        })
    }

    /// The report `sekisho simulate` prints (stable: golden-tested).
    public func report(messageSummary: String) -> String {
        var lines = [String]()
        lines.append("message: \(messageSummary)")
        let client = facts.clientAddress ?? "local"
        let auth = facts.authenticatedUser.map { " auth=\($0)" } ?? ""
        let daemon = facts.daemonName.map { " daemon=\($0)" } ?? ""
        lines.append("sender: \(facts.sender.isEmpty ? "<>" : facts.sender) (\(senderIsInternal ? "internal" : "outside"); client \(client)\(auth)\(daemon))")
        for decision in decisions {
            lines.append("")
            lines.append("recipient \(decision.recipient)  direction=\(decision.direction.rawValue)")
            lines.append("  rules:   \(decision.matchedRules.isEmpty ? "(none)" : decision.matchedRules.joined(separator: ", "))")
            lines.append("  actions: \(decision.actions.isEmpty ? "(none: delivered as is)" : decision.actions.map { "\($0) [\($0.rule)]" }.joined(separator: ", "))")
            if !decision.dryRunActions.isEmpty {
                lines.append("  dry run: \(decision.dryRunActions.map { "\($0) [\($0.rule)]" }.joined(separator: ", ")) (logged, not carried out)")
            }
        }
        let archivedFor = decisions.filter { $0.actions.contains { $0.filter == "archive" } }.map(\.recipient)
        if !archivedFor.isEmpty {
            lines.append("")
            lines.append("archived once (rules of \(archivedFor.joined(separator: ", ")))")
        }
        let duplicatedFor = decisions.filter { $0.actions.contains { $0.filter == "duplicate" } }
        if !duplicatedFor.isEmpty {
            lines.append("")
            let destinations = duplicatedFor.flatMap { decision in decision.actions.filter { $0.filter == "duplicate" }.map { $0.parameters["to"] ?? "(the destination)" } }
            lines.append("duplicated once per destination (\(Array(Set(destinations)).sorted().joined(separator: ", "))) for \(duplicatedFor.map(\.recipient).joined(separator: ", "))")
        }
        lines.append("")
        lines.append("delivered as \(groups.count) message\(groups.count == 1 ? "" : "s"):")
        for (index, group) in groups.enumerated() {
            let actions = group.first?.actions.map(\.filter) ?? []
            let role = index == 0 ? "original" : "split copy"
            lines.append("  \(index + 1). \(role) to \(group.map(\.recipient).joined(separator: ", ")): \(actions.isEmpty ? "unchanged" : actions.joined(separator: ", "))")
        }
        return lines.joined(separator: "\n")
    }
}

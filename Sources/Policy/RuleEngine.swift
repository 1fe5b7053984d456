/// Decides, per recipient, which rules match and which filter actions apply. Pure: no I/O, no
/// clock, no state between calls.
///
/// Rules are looked at in order. Every matching rule is reported; for each filter the first
/// matching rule that names it decides its parameters (later rules cannot override an earlier
/// decision); a rule with `stop` ends the walk for that recipient; `dry_run` rules are reported
/// with their actions but add nothing to carry out. Conditions that do not depend on the recipient
/// are evaluated once per message.
public struct RuleEngine: Sendable {
    public let rules: [Rule]
    public let classifier: DirectionClassifier

    public init(rules: [Rule], classifier: DirectionClassifier = DirectionClassifier()) {
        self.rules = rules
        self.classifier = classifier
    }

    /// The decision for each recipient, in the order given.
    public func decide(_ facts: MessageFacts, recipients: [String]) -> [RecipientDecision] {
        // Per-message conditions once per rule.
        let messageLevel = rules.map { rule in rule.conditions.allSatisfy { !$0.isPerMessage || $0.holds(facts, recipient: "", direction: .inbound) } }
        return recipients.map { recipient in decide(facts, recipient: recipient, messageLevel: messageLevel) }
    }

    private func decide(_ facts: MessageFacts, recipient: String, messageLevel: [Bool]) -> RecipientDecision {
        let direction = classifier.direction(facts, recipient: recipient)
        var decision = RecipientDecision(recipient: recipient, direction: direction)
        var decided = Set<String>()
        for (index, rule) in rules.enumerated() where messageLevel[index] {
            let matches = rule.conditions.allSatisfy { !$0.isPerMessage ? $0.holds(facts, recipient: recipient, direction: direction) : true }
            guard matches else { continue }
            decision.matchedRules.append(rule.name)
            if rule.dryRun {
                decision.dryRunActions += rule.actions.map { RuleAction(filter: $0.filter, parameters: $0.parameters, rule: rule.name) }
            } else {
                for action in rule.actions where !decided.contains(action.filter) {
                    decided.insert(action.filter)
                    decision.actions.append(RuleAction(filter: action.filter, parameters: action.parameters, rule: rule.name))
                }
            }
            if rule.stop { break }
        }
        return decision
    }

    /// Recipients grouped by identical actions, in first-seen order: one group is one message the
    /// gateway delivers (the first stays the original, the others are split off).
    public static func groups(_ decisions: [RecipientDecision]) -> [[RecipientDecision]] {
        var order = [[RuleAction]]()
        var groups = [[RuleAction]: [RecipientDecision]]()
        for decision in decisions {
            let key = decision.actions.map { RuleAction(filter: $0.filter, parameters: $0.parameters) }
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(decision)
        }
        return order.compactMap { groups[$0] }
    }
}

/// What the engine decided for one recipient.
public struct RecipientDecision: Sendable {
    public var recipient: String
    public var direction: Direction
    /// Every rule that matched, in order (dry-run rules included).
    public var matchedRules: [String] = []
    /// The actions to carry out, one per filter.
    public var actions: [RuleAction] = []
    /// Actions of dry-run rules: logged, not carried out.
    public var dryRunActions: [RuleAction] = []

    public init(recipient: String, direction: Direction) {
        self.recipient = recipient
        self.direction = direction
    }
}

/// One policy rule: a name, conditions that must all hold for a recipient, and the actions
/// (filters with parameters) it asks for.
public struct Rule: Sendable {
    public var name: String
    public var conditions: [RuleCondition]
    public var actions: [RuleAction]
    /// Matches and is reported, but its actions are only logged, never carried out.
    public var dryRun: Bool
    /// No later rule is looked at for a recipient this rule matched.
    public var stop: Bool

    public init(name: String, conditions: [RuleCondition] = [], actions: [RuleAction] = [], dryRun: Bool = false, stop: Bool = false) {
        self.name = name
        self.conditions = conditions
        self.actions = actions
        self.dryRun = dryRun
        self.stop = stop
    }
}

/// An action: the filter to run and its parameters (`encrypt` with `password: secret%Y%m`).
public struct RuleAction: Sendable, Hashable, CustomStringConvertible {
    /// The filter name (`encrypt`, `strip`, `archive`, …).
    public var filter: String
    /// Filter parameters, as configured.
    public var parameters: [String: String]
    /// The rule that asked for it.
    public var rule: String

    public init(filter: String, parameters: [String: String] = [:], rule: String = "") {
        self.filter = filter
        self.parameters = parameters
        self.rule = rule
    }

    public var description: String {
        let parameters = parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        return parameters.isEmpty ? filter : "\(filter)(\(parameters))"
    }
}

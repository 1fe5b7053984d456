import ArgumentParser
import Foundation
import Policy

/// `sekisho bench rules`: decision time per recipient with a large address table (issue 4's
/// target: 10,000 entries, median < 50 µs per recipient).
struct BenchRulesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules",
        abstract: "Rule engine decision time per recipient with a large address table."
    )

    @Option(help: "Address table entries (a mix of addresses, domains, @domains and exclusions).")
    var entries = 10_000

    @Option(help: "Rules in the policy (each with the table and a few other conditions).")
    var rules = 8

    @Option(help: "Recipients decided (one decision each, timed separately).")
    var recipients = 20_000

    func run() throws {
        var table = AddressTable<Void>()
        for index in 0..<entries {
            switch index % 4 {
            case 0: try table.add("user\(index)@domain\(index % 500).example", value: ())
            case 1: try table.add("dept\(index).example", value: ())
            case 2: try table.add("@exact\(index).example", value: ())
            default: try table.add("!blocked\(index)@domain\(index % 500).example", value: ())
            }
        }
        let networks = try ["10.0.0.0/8", "192.168.0.0/16", "2001:db8::/32"].map { try NetworkRange(parsing: $0) }
        let classifier = DirectionClassifier(internalNetworks: networks, internalDomains: try AddressTable(["corp.example"]))
        var policy = [Rule]()
        for index in 0..<max(1, rules) {
            policy.append(
                Rule(
                    name: "rule\(index)",
                    conditions: [.direction([.outbound]), .recipient(table), .sizeAtMost(50_000_000), .subjectContains(["[secure\(index)]"])],
                    actions: [RuleAction(filter: "encrypt", parameters: ["password": "random"])]
                )
            )
        }
        policy.append(Rule(name: "archive", conditions: [.recipient(table)], actions: [RuleAction(filter: "archive")]))
        let engine = RuleEngine(rules: policy, classifier: classifier)
        let facts = MessageFacts(sender: "taro@corp.example", clientAddress: "10.1.2.3", subject: "Re: [SECURE3] 見積書", size: 120_000)
        // A fifth each: listed address, subdomain of a listed domain, listed @domain, unknown, excluded.
        let addresses = (0..<recipients).map { index -> String in
            let base = (index / 5 * 4) % max(4, entries)
            switch index % 5 {
            case 0: return "user\(base)@domain\(base % 500).example"
            case 1: return "someone@mail.sub.dept\(base + 1).example"
            case 2: return "x@exact\(base + 2).example"
            case 3: return "y@nowhere\(index).example"
            default: return "blocked\(base + 3)@domain\((base + 3) % 500).example"
            }
        }
        let clock = ContinuousClock()
        var durations = [Double]()
        durations.reserveCapacity(addresses.count)
        var matched = 0
        for address in addresses {
            let start = clock.now
            let decision = engine.decide(facts, recipients: [address])
            let elapsed = clock.now - start
            durations.append(Double(elapsed.components.attoseconds) / 1e12 + Double(elapsed.components.seconds) * 1e6)
            matched += decision[0].actions.isEmpty ? 0 : 1
        }
        durations.sort()
        let median = durations[durations.count / 2]
        let p99 = durations[min(durations.count - 1, durations.count * 99 / 100)]
        print("table \(table.count) entries, \(policy.count) rules, \(addresses.count) recipients, \(matched) with actions")
        print(String(format: "decision per recipient: median %.2f µs, p99 %.2f µs, max %.2f µs", median, p99, durations.last ?? 0))
    }
}

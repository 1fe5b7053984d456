import ArgumentParser

/// `sekisho`: the command-line tool of the Sekisho mail gateway.
@main
struct Sekisho: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sekisho",
        abstract: "Sekisho mail gateway tool: check the policy, test milters, inspect messages, manage the outbound queue, run benchmarks.",
        subcommands: [MilterTestCommand.self, CheckConfigCommand.self, SimulateCommand.self, InspectCommand.self, QueueCommand.self, LinksCommand.self, ArchiveCommand.self, BenchCommand.self, ZipCommand.self]
    )
}

/// `sekisho bench …`: load generators.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks.",
        subcommands: [BenchMilterCommand.self, BenchConnectionsCommand.self, BenchMIMECommand.self, BenchRulesCommand.self, BenchZipCommand.self]
    )
}

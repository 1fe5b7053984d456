import ArgumentParser

/// `sekisho`: the command-line tool of the Sekisho mail gateway.
@main
struct Sekisho: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sekisho",
        abstract: "Sekisho mail gateway tool: test milters, run benchmarks.",
        subcommands: [MilterTestCommand.self, BenchCommand.self, QueueCommand.self]
    )
}

/// `sekisho bench …`: load generators.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks.",
        subcommands: [BenchMilterCommand.self, BenchConnectionsCommand.self]
    )
}

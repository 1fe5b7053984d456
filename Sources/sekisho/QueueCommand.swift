import ArgumentParser

/// `sekisho queue …`: inspect, change and run the durable outbound queue (docs/outbound.md).
struct QueueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue",
        abstract: "Inspect, change and run the outbound queue.",
        subcommands: [
            QueueListCommand.self, QueueRetryCommand.self, QueueDropCommand.self, QueueEnqueueCommand.self, QueueRunCommand.self,
        ]
    )
}

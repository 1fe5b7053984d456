import ArgumentParser
import Foundation
import Outbound

/// `sekisho queue list`: every entry with its recipients' states.
struct QueueListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List queued messages: id, age, sender, recipients with state, attempts, next attempt, last error; copies with their destination."
    )

    @OptionGroup var location: QueueLocationOptions

    @Flag(help: "Print JSON (one array of entries).")
    var json = false

    @Option(help: "Only copies for this duplicate destination.")
    var destination: String?

    @Flag(help: "Only duplicate copies (any destination).")
    var copies = false

    func run() async throws {
        var entries = try await location.open().entries()
        if let destination { entries.removeAll { $0.destination != destination } }
        if copies { entries.removeAll { $0.destination == nil } }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            encoder.dateEncodingStrategy = .iso8601
            FileHandle.standardOutput.write(try encoder.encode(entries))
            FileHandle.standardOutput.write(Data("\n".utf8))
            return
        }
        let now = Date()
        var text = entries.isEmpty ? "queue is empty\n" : ""
        for entry in entries {
            let recipients = entry.recipients.map { "\($0.address) (\($0.state.rawValue))" }.joined(separator: ", ")
            let next =
                entry.isHeld ? "held (the MTA's answer is pending)"
                : entry.leasedUntil != nil ? "delivering" : entry.nextAttemptAt <= now ? "due" : "in \(shortDuration(entry.nextAttemptAt.timeIntervalSince(now)))"
            text += "\(entry.id)  age \(shortDuration(now.timeIntervalSince(entry.createdAt)))  from \(entry.sender.bracketed)"
            text += "  attempts \(entry.attempts)  next \(next)"
            if let queueID = entry.originQueueID { text += "  queue-id \(queueID)" }
            if entry.isReport { text += "  (report)" }
            if let destination = entry.destination { text += "  copy for \(destination)" }
            text += "\n    to: \(recipients)\n"
            if let relay = entry.relay { text += "    relay: \(relay)\n" }
            if let error = entry.lastError { text += "    last error: \(error)\n" }
        }
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}

/// `sekisho queue retry ID|--all`: make entries due now.
struct QueueRetryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "retry", abstract: "Make one entry, or all, due now.")

    @OptionGroup var location: QueueLocationOptions

    @Argument(help: "The entry id.")
    var id: Int64?

    @Flag(help: "Every entry.")
    var all = false

    func validate() throws {
        guard (id == nil) != !all else { throw ValidationError("give either an entry id or --all") }
    }

    func run() async throws {
        let queue = try await location.open()
        if all {
            print("\(try await queue.retryAll()) entries due now")
        } else if let id {
            guard try await queue.retry(id) else { throw ValidationError("no entry \(id)") }
            print("entry \(id) due now")
        }
    }
}

/// `sekisho queue drop ID`: remove an entry and its message file without delivering it.
struct QueueDropCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "drop", abstract: "Remove an entry and its message file, undelivered.")

    @OptionGroup var location: QueueLocationOptions

    @Argument(help: "The entry id.")
    var id: Int64

    func run() async throws {
        guard try await location.open().drop(id) else { throw ValidationError("no entry \(id)") }
        print("entry \(id) dropped")
    }
}

/// `sekisho queue enqueue`: add a message file.
struct QueueEnqueueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enqueue",
        abstract: "Queue a message file for delivery; prints the entry id once the message is on disk."
    )

    @OptionGroup var location: QueueLocationOptions
    @OptionGroup var relay: RelayOptions

    @Option(help: "Envelope sender ('' for <>).")
    var from: String

    @Option(help: "Envelope recipient, repeatable.")
    var to: [String]

    @Argument(help: "The message (RFC 5322, LF or CRLF line ends).")
    var message: String

    func validate() throws {
        guard !to.isEmpty else { throw ValidationError("give at least one --to") }
    }

    func run() async throws {
        let request = EnqueueRequest(
            sender: try envelopeAddress(from, option: "--from"),
            recipients: try to.map { try envelopeAddress($0, option: "--to") },
            message: .file(message),
            relay: try relay.parsed(),
            origin: "cli"
        )
        let id = try await location.open().enqueue(request)
        print(id)
    }
}

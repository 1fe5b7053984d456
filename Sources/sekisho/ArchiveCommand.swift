import Archive
import ArgumentParser
import Daemon
import Foundation
import GRDB

/// `sekisho archive …`: search, show, export, hold, retention and index maintenance.
struct ArchiveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "archive",
        abstract: "Search the mail archive, export, legal holds, retention, re-index.",
        subcommands: [
            ArchiveSearchCommand.self, ArchiveShowCommand.self, ArchiveExportCommand.self, ArchiveHoldCommand.self, ArchiveReleaseCommand.self,
            ArchiveHoldsCommand.self, ArchivePurgeCommand.self, ArchiveReindexCommand.self, ArchiveUserCommand.self,
        ]
    )
}

/// Where the archive is: the policy file's `archive:` section, or a Maildir and database given directly.
struct ArchiveOptions: ParsableArguments {
    @Option(help: "The policy file (its archive: section names the Maildir and the index).")
    var config: String?

    @Option(help: "The Maildir++ root (instead of --config).")
    var directory: String?

    @Option(help: "The index database (default: <directory>/sekisho/index.sqlite).")
    var database: String?

    @Option(help: "Time zone of after:/before:/on: days (default: the archive's, else the system's).")
    var timeZone: String?

    @Option(help: "The state directory sekishod runs with, when it is not the policy file's (relative archive paths are under it).")
    var stateDirectory: String?

    /// Opens the store; `create` only for a rebuild.
    func open(create: Bool = false) throws -> ArchiveStore {
        var settings: ArchiveGatewaySettings
        if let config {
            let configuration: GatewayConfiguration
            do {
                configuration = try ConfigurationLoader.load(file: config)
            } catch {
                throw ValidationError("\(error)")
            }
            guard let archive = configuration.archive else { throw ValidationError("\(config) has no archive: section") }
            settings = archive.resolved(stateDirectory: stateDirectory ?? configuration.stateDirectory)
        } else if let directory {
            settings = ArchiveGatewaySettings(directory: directory)
            settings.folder = ""
            settings.database = database
        } else {
            throw ValidationError("say where the archive is: --config FILE or --directory MAILDIR")
        }
        if let database { settings.database = database }
        if let timeZone {
            guard let zone = TimeZone(identifier: timeZone) else { throw ValidationError("unknown time zone \(timeZone)") }
            settings.timeZone = zone
        }
        guard create || FileManager.default.fileExists(atPath: settings.databasePath) else {
            throw ValidationError("no archive index at \(settings.databasePath) (run `sekisho archive reindex` to build one from the Maildir)")
        }
        return try Gateway.openArchive(settings, singleConnection: true)
    }

    /// Who runs the command, as the audit log and holds name them: `cli:<user>` (the user
    /// behind sudo when there is one).
    var account: String {
        let environment = ProcessInfo.processInfo.environment
        return "cli:" + (environment["SUDO_USER"] ?? environment["USER"] ?? "\(getuid())")
    }

    /// Records what the command did in the archive's audit log (as ``account``).
    func audit(_ store: ArchiveStore, action: String, detail: String) {
        try? store.index.database.pool.write { db in
            try db.execute(
                sql: "INSERT INTO audit (at, account, action, detail, client) VALUES (?, ?, ?, ?, 'cli')",
                arguments: [Date().timeIntervalSince1970, account, action, detail]
            )
        }
    }
}

struct ArchiveSearchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Search: words (Japanese too), \"phrases\", -exclude, OR, from: to: cc: subject: body: attachment: sender: rcpt: id: queue: after: before: on: has:attachment direction: kind: larger: smaller:."
    )

    @OptionGroup var options: ArchiveOptions

    @Option(help: "relevance, newest or oldest.")
    var order: String = "relevance"

    @Option(help: "Results to show.")
    var limit = 20

    @Option(help: "Results to skip.")
    var offset = 0

    @Option(help: "text or json.")
    var format: String = "text"

    @Option(help: "Only messages of these domains (an auditor's view); repeatable.")
    var domain: [String] = []

    @Option(help: "Count matches up to this many (more shows as N+; 0: do not count).")
    var countLimit = 1000

    @Argument(help: "The search.")
    var query: [String] = []

    func run() async throws {
        guard let order = ArchiveSortOrder(rawValue: order) else { throw ValidationError("--order is relevance, newest or oldest") }
        let text = query.joined(separator: " ")
        let parsed: ArchiveQuery
        do {
            parsed = try ArchiveQuery.parse(text)
        } catch {
            throw ValidationError("\(error)")
        }
        let store = try options.open()
        let scope = domain.isEmpty ? ArchiveScope.everything : ArchiveScope(domains: domain)
        let result = try store.index.search(parsed, scope: scope, order: order, limit: limit, offset: offset, countLimit: countLimit)
        options.audit(store, action: "search", detail: text)
        if format == "json" {
            let rows = result.hits.map { hit in
                SearchOutput.Hit(
                    id: hit.message.id, received: Int64(hit.message.envelope.receivedAt.timeIntervalSince1970), from: hit.message.from,
                    to: hit.message.to, subject: hit.message.subject, size: hit.message.size, attachments: hit.message.attachmentNames,
                    sender: hit.message.envelope.sender, recipients: hit.message.envelope.recipients, queue_id: hit.message.envelope.queueID ?? "",
                    path: hit.message.path, snippet: ArchiveSnippet.render(hit.snippet, open: "[", close: "]"), held: hit.message.held
                )
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let data = try encoder.encode(SearchOutput(total: result.total, total_is_lower_bound: result.totalIsLowerBound, hits: rows))
            print(String(decoding: data, as: UTF8.self))
            return
        }
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        formatter.timeZone = store.settings.timeZone
        if countLimit > 0 {
            print("\(result.totalText) message\(result.total == 1 && !result.totalIsLowerBound ? "" : "s")")
        } else {
            print("\(result.hits.count) shown (not counted)")
        }
        for hit in result.hits {
            let message = hit.message
            let clip = message.attachmentNames.isEmpty ? "" : " 📎\(message.attachmentNames.count)"
            print("\(message.id)\t\(formatter.string(from: message.envelope.receivedAt))\t\(InspectCommand.visible(message.from))\t\(InspectCommand.visible(message.subject))\(clip)\(message.held ? "\t[held]" : "")")
            let snippet = ArchiveSnippet.render(hit.snippet, open: "[", close: "]").replacingOccurrences(of: "\n", with: " ")
            if !snippet.isEmpty { print("\t\(InspectCommand.visible(snippet))") }
        }
    }
}

/// `archive search --format json`: one object, `hits` in result order; `received` is Unix seconds.
struct SearchOutput: Encodable {
    struct Hit: Encodable {
        var id: Int64
        var received: Int64
        var from, to, subject: String
        var size: Int
        var attachments: [String]
        var sender: String
        var recipients: [String]
        var queue_id: String
        var path: String
        var snippet: String
        var held: Bool
    }

    var total: Int
    var total_is_lower_bound: Bool
    var hits: [Hit]
}

struct ArchiveShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Write one archived message (as stored, digest-checked) to standard output, or its envelope.")

    @OptionGroup var options: ArchiveOptions

    @Flag(help: "Print the envelope and catalogue entry instead of the message.")
    var envelope = false

    @Argument(help: "The message id (from search).")
    var id: Int64

    func run() async throws {
        let store = try options.open()
        guard let message = try store.index.message(id: id, scope: .everything) else { throw ValidationError("no archived message \(id)") }
        options.audit(store, action: "view", detail: "\(id)")
        if envelope {
            let formatter = ISO8601DateFormatter()
            print("key: \(message.key)\npath: \(message.path)\nfolders: \(message.envelope.folders.joined(separator: " "))")
            print("kind: \(message.envelope.kind.rawValue)\nreceived: \(formatter.string(from: message.envelope.receivedAt))\nsender: <\(message.envelope.sender)>")
            print("recipients: \(message.envelope.recipients.map { "<\($0)>" }.joined(separator: " "))\nclient: \(message.envelope.clientAddress ?? "-")\nqueue_id: \(message.envelope.queueID ?? "-")")
            print("direction: \(message.envelope.direction)\nsize: \(message.size)\nsha256: \(message.sha256)\nheld: \(message.held)")
            print("delete_after: \(message.deleteAfter.map { formatter.string(from: $0) } ?? "never")")
            return
        }
        FileHandle.standardOutput.write(Data(try store.bytes(of: message)))
    }
}

struct ArchiveExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "export", abstract: "Export every message a search matches as mbox or a zip of .eml files.")

    @OptionGroup var options: ArchiveOptions

    @Option(help: "mbox or zip.")
    var format: String = "mbox"

    @Option(name: .shortAndLong, help: "The file to write.")
    var output: String

    @Argument(help: "The search (empty: everything).")
    var query: [String] = []

    func run() async throws {
        guard let format = ArchiveExportFormat(rawValue: format) else { throw ValidationError("--format is mbox or zip") }
        let store = try options.open()
        let text = query.joined(separator: " ")
        let messages = try store.index.messages(matching: try ArchiveQuery.parse(text), scope: .everything)
        try store.export(messages, format: format, to: URL(fileURLWithPath: output))
        options.audit(store, action: "export", detail: "\(format.rawValue) \(messages.count) \(text)")
        print("\(messages.count) message\(messages.count == 1 ? "" : "s") written to \(output)")
    }
}

struct ArchiveHoldCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "hold", abstract: "Put a message (by id) or a search (--query) under legal hold: never deleted until released.")

    @OptionGroup var options: ArchiveOptions

    @Option(help: "Why (a case number).")
    var reason: String

    @Option(help: "Hold every message this search matches, now and later.")
    var query: String?

    @Argument(help: "Message ids.")
    var ids: [Int64] = []

    func run() async throws {
        let store = try options.open()
        let by = options.account
        if let query {
            let id = try store.index.holdSearch(query, reason: reason, by: by)
            options.audit(store, action: "hold", detail: "search \(query)")
            print("hold \(id) on the search \(query)")
        }
        for id in ids {
            let hold = try store.index.holdMessage(id: id, reason: reason, by: by)
            options.audit(store, action: "hold", detail: "message \(id)")
            print("hold \(hold) on message \(id)")
        }
        if query == nil && ids.isEmpty { throw ValidationError("give message ids or --query") }
    }
}

struct ArchiveReleaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "release", abstract: "End a legal hold (by hold id, see `archive holds`).")

    @OptionGroup var options: ArchiveOptions

    @Argument(help: "The hold id.")
    var id: Int64

    func run() async throws {
        let store = try options.open()
        try store.index.releaseHold(id: id, by: options.account)
        options.audit(store, action: "release", detail: "hold \(id)")
        print("hold \(id) released")
    }
}

struct ArchiveHoldsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "holds", abstract: "List legal holds.")

    @OptionGroup var options: ArchiveOptions

    func run() async throws {
        let formatter = ISO8601DateFormatter()
        for hold in try options.open().index.holds() {
            let what = hold.query.map { "search \($0)" } ?? "\(hold.messageCount) message\(hold.messageCount == 1 ? "" : "s")"
            let state = hold.releasedAt.map { "released \(formatter.string(from: $0)) by \(hold.releasedBy ?? "?")" } ?? "active"
            print("\(hold.id)\t\(state)\t\(formatter.string(from: hold.createdAt)) by \(hold.createdBy)\t\(what)\t\(hold.reason)")
        }
    }
}

struct ArchivePurgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "purge", abstract: "Delete the copies whose retention has ended now (held ones stay); sekishod does this hourly.")

    @OptionGroup var options: ArchiveOptions

    func run() async throws {
        let store = try options.open()
        let deleted = try store.purgeExpired()
        options.audit(store, action: "purge", detail: "\(deleted)")
        print("\(deleted) deleted")
    }
}

struct ArchiveReindexCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reindex", abstract: "Rebuild the index from the Maildir (envelope sidecars, and headers for files without one)."
    )

    @OptionGroup var options: ArchiveOptions

    @Flag(help: "Only add what the index lacks (what sekishod does at start).")
    var catchUp = false

    func run() async throws {
        let store = try options.open(create: true)
        let clock = ContinuousClock()
        let started = clock.now
        let count = catchUp ? try store.catchUp() : try store.rebuildIndex()
        let seconds = Double((clock.now - started).components.attoseconds) / 1e18 + Double((clock.now - started).components.seconds)
        options.audit(store, action: "reindex", detail: "\(count)")
        print(String(format: "%d messages indexed in %.2f s (%.0f/s)", count, seconds, seconds > 0 ? Double(count) / seconds : 0))
    }
}

import ArgumentParser
import Daemon
import Foundation
import Links

/// `sekisho links …`: the download links the gateway made (list, audit trail, revoke).
struct LinksCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "links",
        abstract: "List, audit and revoke download links (the link action).",
        subcommands: [LinksListCommand.self, LinksAuditCommand.self, LinksRevokeCommand.self]
    )
}

/// Where the links live: from the policy file's `links:` section.
struct LinksOptions: ParsableArguments {
    @Option(help: "The policy file (its links: section names the store).")
    var config: String

    func open() async throws -> LinkStore {
        let configuration: GatewayConfiguration
        do {
            configuration = try ConfigurationLoader.load(file: config)
        } catch {
            throw ValidationError("\(error)")
        }
        guard let links = configuration.links else { throw ValidationError("\(config) has no links: section") }
        let settings = Gateway.linkSettings(links, configuration: configuration)
        // Never create an empty store by mistake (a wrong directory would make revoke say
        // "unknown" while the real links stay live).
        guard FileManager.default.fileExists(atPath: "\(settings.directory)/links.sqlite") else {
            throw ValidationError("no link store at \(settings.directory) (has sekishod run with this policy?)")
        }
        return try await LinkStore.open(settings: settings)
    }
}

struct LinksListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "The links, newest first (no secrets are shown).")

    @OptionGroup var options: LinksOptions

    @Flag(help: "Also expired, revoked and used-up links.")
    var all = false

    func run() async throws {
        let store = try await options.open()
        let formatter = ISO8601DateFormatter()
        for link in try await store.list(includeExpired: all) {
            let downloads = link.files.map { "\($0.downloads)" }.joined(separator: "/")
            print(
                "\(link.id)\t\(link.state)\t\(formatter.string(from: link.created))\texpires \(formatter.string(from: link.expires))\t<\(link.sender)> → \(link.recipients.joined(separator: ","))\tfiles \(link.files.count) downloads \(downloads)\(link.hasPassword ? "\tpassword" : "")\t\(InspectCommand.visible(link.subject))"
            )
        }
    }
}

struct LinksAuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "audit", abstract: "Every download attempt of a link: time, client, user agent, file, bytes, outcome.")

    @OptionGroup var options: LinksOptions

    @Argument(help: "The link id (from links list).")
    var id: Int64

    func run() async throws {
        let store = try await options.open()
        let formatter = ISO8601DateFormatter()
        for entry in try await store.audit(linkID: id) {
            print("\(formatter.string(from: entry.time))\t\(entry.clientAddress)\t\(entry.fileIndex.map(String.init) ?? "-")\t\(entry.bytes)\t\(entry.outcome)\t\(InspectCommand.visible(entry.userAgent ?? "-"))")
        }
    }
}

struct LinksRevokeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Disable a link at once: its files are deleted, its URL answers 410.")

    @OptionGroup var options: LinksOptions

    @Argument(help: "The link id, or its URL / token (read from a file with --token-file to keep it out of the process list).")
    var link: String?

    @Option(help: "A file holding the link's URL or token (\"-\" for standard input).")
    var tokenFile: String?

    func run() async throws {
        let store = try await options.open()
        let revoked: Bool
        if let id = link.flatMap(Int64.init) {
            revoked = try await store.revoke(id: id)
        } else {
            var text = link ?? ""
            if let tokenFile {
                let data = tokenFile == "-" ? FileHandle.standardInput.readDataToEndOfFile() : try Data(contentsOf: URL(fileURLWithPath: tokenFile))
                text = String(decoding: data, as: UTF8.self)
            }
            let token = text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "/").last.map(String.init) ?? ""
            guard !token.isEmpty else { throw ValidationError("give a link id, a URL or --token-file") }
            revoked = try await store.revoke(token: token)
        }
        print(revoked ? "revoked" : "not revoked (unknown, or revoked already)")
        if !revoked { throw ExitCode(1) }
    }
}

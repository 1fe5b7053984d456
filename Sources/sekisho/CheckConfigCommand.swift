import ArgumentParser
import Daemon
import Foundation
import Milter
import Policy

/// `sekisho check-config [FILE]`: reads the policy file as sekishod would and reports the first
/// problem (file:line: key: reason) or a summary of what it configures. Exit 0 when usable, 1 when
/// not.
struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Check a policy file (YAML) and summarise it."
    )

    @Argument(help: "The policy file.")
    var file = "etc/sekisho.yaml"

    func run() throws {
        let configuration: GatewayConfiguration
        do {
            configuration = try ConfigurationLoader.load(file: file)
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode(1)
        }
        print("\(file): OK")
        print("  milter: \(configuration.milterListeners.map(\.description).joined(separator: ", "))")
        print("  web: \(configuration.webListen ?? "off")   storage: \(configuration.storage)   state: \(configuration.stateDirectory)")
        print("  on_error: \(configuration.onError.rawValue)   logging: \(configuration.logging.level) \(configuration.logging.format.rawValue)   metrics: \(configuration.metrics.enabled ? configuration.metrics.path : "off")")
        let scope = configuration.internalScope
        if let relay = configuration.reinjectionRelay { print("  reinjection: \(relay) (split copies and notices)") }
        if let links = configuration.links {
            let cap = links.maximumDownloads.map { ", \($0) downloads per file" } ?? ""
            print("  links: \(links.baseURL) served on \(links.listen)\(links.tlsCertificate == nil ? "" : " (TLS)"), lifetime \(Self.days(links.lifetime))\(cap)")
        }
        print("  internal: \(scope.domains.count) domain entries, \(scope.networks.count) networks, AUTH \(scope.authenticatedIsInternal ? "is" : "is not") internal, daemons [\(scope.daemonNames.sorted().joined(separator: ", "))]")
        for (name, table) in configuration.tables.sorted(by: { $0.key < $1.key }) {
            print("  table \(name): \(table.count) entries")
        }
        for rule in configuration.rules {
            let flags = [rule.dryRun ? "dry_run" : nil, rule.stop ? "stop" : nil].compactMap { $0 }
            print("  rule \(rule.name): \(rule.conditions.count) conditions → \(rule.actions.map(\.description).joined(separator: ", "))\(flags.isEmpty ? "" : " [\(flags.joined(separator: ", "))]")")
        }
        for (name, settings) in configuration.filters.sorted(by: { $0.key < $1.key }) {
            print("  filter \(name): on_error \(settings.onError.rawValue), timeout \(settings.timeout)\(settings.parameters.isEmpty ? "" : ", " + settings.parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))")
        }
    }

    /// `7d`, `36h`, or seconds.
    static func days(_ duration: Duration) -> String {
        let seconds = duration.components.seconds
        if seconds % 86_400 == 0 { return "\(seconds / 86_400)d" }
        if seconds % 3600 == 0 { return "\(seconds / 3600)h" }
        return "\(seconds)s"
    }
}

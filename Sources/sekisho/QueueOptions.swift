import ArgumentParser
import Foundation
import Outbound

/// Where the queue lives (shared by every `queue` subcommand).
struct QueueLocationOptions: ParsableArguments {
    @Option(help: "The queue database (SQLite).")
    var database = "var/outbound/queue.sqlite"

    @Option(help: "The spool directory holding the message files.")
    var spool = "var/outbound/spool"

    func open() async throws -> OutboundQueue {
        try await OutboundQueue.open(databasePath: database, spoolPath: spool)
    }
}

/// A relay and its TLS settings.
struct RelayOptions: ParsableArguments {
    @Option(help: "The relay, host:port (or [v6]:port).")
    var relay: String?

    @Option(help: "STARTTLS: none, opportunistic (encrypted when offered, certificate not checked) or required.")
    var starttls: StartTLSMode = .opportunistic

    @Option(help: "Certificate verification with --starttls required: full, no-hostname or none.")
    var tlsVerify: CertificateVerification = .full

    @Option(help: "PEM file with the trusted roots (default: the system's).")
    var tlsCa: String?

    @Option(help: "The name to expect in the certificate and send in SNI (default: the relay's host).")
    var tlsServerName: String?

    /// The relay, or `nil` when `--relay` was not given.
    func parsed() throws -> SMTPRelay? {
        guard let relay else { return nil }
        let tls = SMTPTLSSettings(mode: starttls, verification: tlsVerify, trustRoots: tlsCa.map { .pemFile($0) } ?? .system, serverName: tlsServerName)
        do {
            return try SMTPRelay(parsing: relay, tls: tls)
        } catch {
            throw ValidationError(error.description)
        }
    }
}

extension StartTLSMode: ExpressibleByArgument {}
extension CertificateVerification: ExpressibleByArgument {}

/// Parses an envelope address for an option, as a validation error naming the option.
func envelopeAddress(_ text: String, option: String) throws -> SMTPAddress {
    do {
        return try SMTPAddress(text)
    } catch {
        throw ValidationError("\(option): \(error)")
    }
}

/// `2d 3h`, `4m 10s`, `12s` for a time interval.
func shortDuration(_ seconds: TimeInterval) -> String {
    let total = Int(seconds.rounded())
    let sign = total < 0 ? "-" : ""
    let value = abs(total)
    if value < 60 { return "\(sign)\(value)s" }
    if value < 3600 { return "\(sign)\(value / 60)m\(value % 60 > 0 ? " \(value % 60)s" : "")" }
    if value < 86_400 { return "\(sign)\(value / 3600)h \(value % 3600 / 60)m" }
    return "\(sign)\(value / 86_400)d \(value % 86_400 / 3600)h"
}

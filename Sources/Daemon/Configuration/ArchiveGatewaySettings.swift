import Foundation
import Policy

/// Which side of the envelope decides whether, and for whom, a message is archived
/// (Messasy's `SavePolicy`).
public enum ArchiveSavePolicy: String, Sendable, CaseIterable {
    /// The sender and every recipient (each in `addresses`, if that is set).
    case both
    /// Only the sender.
    case sender
    /// Only the recipients.
    case recipient
}

/// The `archive:` section. Read at start: a change needs a restart (SIGHUP keeps the running
/// section and says so).
public struct ArchiveGatewaySettings: Sendable {
    /// The Maildir++ root, as written: relative paths are under the state directory
    /// (``resolved(stateDirectory:)``, done when the gateway starts).
    public var directory: String
    /// The SQLite index; default `<directory>/sekisho/index.sqlite`.
    public var database: String?
    /// The section as written (YAML), to tell a changed section on reload.
    public var fingerprint = ""
    /// Folder pattern (`.%y.%m.%d`, `.%D.%M`, …; `""` = the root).
    public var folder = ".%y.%m.%d"
    public var compress = false
    public var savePolicy = ArchiveSavePolicy.both
    /// Addresses whose mail is archived (SaMMA table syntax); `nil` = everyone.
    public var addresses: AddressTable<Void>?
    /// A message with a header field (`Name: value`, unfolded) matching one of these is not archived.
    public var skipHeaders = [String]()
    /// Default retention in days (`nil`: kept until deleted by hand).
    public var retentionDays: Int?
    /// The zone of folder dates and of search days.
    public var timeZone = TimeZone.current
    /// How often expired copies are deleted.
    public var janitorInterval = Duration.seconds(3600)
    /// Web UI listener (`HOST:PORT`), `nil` = off.
    public var webListen: String?
    public var webTLSCertificate: String?
    public var webTLSKey: String?
    public var webSessionLifetime = Duration.seconds(8 * 3600)

    public init(directory: String) {
        self.directory = directory
    }

    /// The database path.
    public var databasePath: String { database ?? "\(directory)/sekisho/index.sqlite" }

    /// The settings with relative paths taken under `stateDirectory`.
    public func resolved(stateDirectory: String) -> ArchiveGatewaySettings {
        func path(_ value: String) -> String { value.hasPrefix("/") ? value : "\(stateDirectory)/\(value)" }
        var settings = self
        settings.directory = path(directory)
        settings.database = database.map(path)
        return settings
    }

    /// The compiled skip patterns (validated at load).
    public var skipExpressions: [NSRegularExpression] {
        skipHeaders.compactMap { try? NSRegularExpression(pattern: $0, options: [.caseInsensitive]) }
    }
}

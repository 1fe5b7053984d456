import Archive
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Links
import Logging
import NIOCore
import ServiceLifecycle

/// The archive's web UI (Hummingbird 2), a ServiceLifecycle `Service`: sign-in, search,
/// message view, downloads, export, legal holds and the audit log over an ``ArchiveStore``.
/// Plain HTTP, or HTTPS when both TLS files are set. See docs/archive.md, "Web UI".
public struct ArchiveWebServer: Service, CustomStringConvertible {
    let store: ArchiveStore
    let settings: ArchiveWebSettings
    let logger: Logger
    let onListening: (@Sendable (Int) -> Void)?

    /// - Parameter onListening: called with the bound port once connections are accepted.
    public init(store: ArchiveStore, settings: ArchiveWebSettings, logger: Logger, onListening: (@Sendable (Int) -> Void)? = nil) {
        self.store = store
        self.settings = settings
        self.logger = logger
        self.onListening = onListening
    }

    public var description: String { "ArchiveWebServer(\(settings.listen))" }

    /// The routes over `store`'s database (tests drive it with `app.test(.router)`).
    public static func router(store: ArchiveStore, settings: ArchiveWebSettings, logger: Logger) async throws -> Router<ArchiveRequestContext> {
        let database = store.index.database
        let routes = ArchiveRoutes(
            store: store, accounts: try ArchiveAccounts(database: database),
            sessions: ArchiveSessions(database: database, lifetime: settings.sessionLifetime), audit: ArchiveAudit(database: database),
            settings: settings, pages: try await ArchivePages.load(timeZone: settings.timeZone), logger: logger)
        return routes.router()
    }

    /// Serves until graceful shutdown.
    /// - Throws: ``ArchiveError`` for bad settings; ``LinkError`` for unreadable TLS files;
    ///   NIO's error when the address cannot be bound.
    public func run() async throws {
        try settings.validate()
        let address = try ListenAddress(parsing: settings.listen)
        let router = try await Self.router(store: store, settings: settings, logger: logger)
        let logger = self.logger
        let onListening = self.onListening
        let scheme = settings.usesTLS ? "https" : "http"
        let running: @Sendable (any Channel) async -> Void = { channel in
            let port = channel.localAddress?.port ?? address.port
            logger.info("archive web UI listening", metadata: ["archive.listen": "\(scheme)://\(address.host):\(port)"])
            onListening?(port)
        }
        let http = HTTPServerBuilder.http1(configuration: .init(idleTimeout: .seconds(60)))
        var server = http
        if let certificate = settings.tlsCertificate, let key = settings.tlsKey {
            server = try .tls(http, tlsConfiguration: LinkServer.tlsConfiguration(certificate: certificate, key: key))
        }
        let app = Application(
            router: router, server: server, configuration: ApplicationConfiguration(address: .hostname(address.host, port: address.port)),
            onServerRunning: running, logger: logger)
        try await app.run()
    }
}

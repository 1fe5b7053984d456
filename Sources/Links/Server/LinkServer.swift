import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle

/// The download server (Hummingbird 2): pages, downloads and revocation for the links in a
/// ``LinkStore``. Plain HTTP, or HTTPS when ``LinkSettings/tlsCertificate`` and
/// ``LinkSettings/tlsKey`` are set. Runs until graceful shutdown; transfers under way finish
/// first. See docs/links.md.
public struct LinkServer: Service, CustomStringConvertible {
    let store: LinkStore
    let settings: LinkSettings
    let logger: Logger
    let onFirstDownload: (@Sendable (FirstDownload) async -> Void)?
    let onListening: (@Sendable (Int) -> Void)?

    /// - Parameters:
    ///   - onFirstDownload: called once per link, after the first completed download of a link
    ///     created with ``NewLink/notifySenderOnFirstDownload`` (the gateway queues the notice).
    ///   - onListening: called with the bound port once the server accepts connections
    ///     (useful with port 0).
    public init(
        store: LinkStore, settings: LinkSettings, logger: Logger,
        onFirstDownload: (@Sendable (FirstDownload) async -> Void)? = nil,
        onListening: (@Sendable (Int) -> Void)? = nil
    ) {
        self.store = store
        self.settings = settings
        self.logger = logger
        self.onFirstDownload = onFirstDownload
        self.onListening = onListening
    }

    public var description: String { "LinkServer(\(settings.listen))" }

    /// How long a connection may sit idle between requests (or in the middle of one).
    static let idleTimeout = TimeAmount.seconds(60)

    /// Serves until graceful shutdown.
    /// - Throws: ``LinkError`` for a bad listen address (invalidSettings) or an unreadable
    ///   certificate or key (tls); NIO's error when the address cannot be bound.
    public func run() async throws {
        let address = try ListenAddress(parsing: settings.listen)
        let router = LinkRoutes(store: store, settings: settings, logger: logger, onFirstDownload: onFirstDownload)
            .router()
        let configuration = ApplicationConfiguration(address: .hostname(address.host, port: address.port))
        let logger = self.logger
        let onListening = self.onListening
        let scheme = settings.tlsCertificate == nil ? "http" : "https"
        let running: @Sendable (any Channel) async -> Void = { channel in
            let port = channel.localAddress?.port ?? address.port
            logger.info("link server listening", metadata: ["links.listen": "\(scheme)://\(address.host):\(port)"])
            onListening?(port)
        }
        // Idle keep-alive connections (and clients that stall while sending a request) are
        // closed after a minute; a response being written is never cut by this.
        let http = HTTPServerBuilder.http1(configuration: .init(idleTimeout: Self.idleTimeout))
        var server = http
        if let certificate = settings.tlsCertificate, let key = settings.tlsKey {
            server = try .tls(http, tlsConfiguration: Self.tlsConfiguration(certificate: certificate, key: key))
        }
        let app = Application(
            router: router, server: server, configuration: configuration, onServerRunning: running, logger: logger)
        try await app.run()
    }

    /// The server's TLS configuration from PEM files.
    /// - Throws: ``LinkError`` (tls) naming the file that cannot be read or parsed.
    public static func tlsConfiguration(certificate: String, key: String) throws(LinkError) -> TLSConfiguration {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificate)
        } catch {
            throw LinkError(
                code: .tls, message: "cannot read the certificate chain: \(error)", key: "tls_certificate",
                path: certificate)
        }
        guard !chain.isEmpty else {
            throw LinkError(
                code: .tls, message: "the file holds no PEM certificate", key: "tls_certificate", path: certificate)
        }
        let privateKey: NIOSSLPrivateKey
        do {
            privateKey = try NIOSSLPrivateKey(file: key, format: .pem)
        } catch {
            throw LinkError(code: .tls, message: "cannot read the private key: \(error)", key: "tls_key", path: key)
        }
        return TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(privateKey))
    }
}

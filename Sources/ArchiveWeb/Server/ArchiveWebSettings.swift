import Archive
import Foundation
import Links

/// The archive web UI's settings (docs/archive.md, "Web UI").
public struct ArchiveWebSettings: Sendable {
    /// `host:port` (or `[v6]:port`); port 0 picks a free one (``ArchiveWebServer`` reports it).
    public var listen: String
    /// PEM certificate chain and key; both set means HTTPS (and `Secure`, `__Host-` cookies).
    public var tlsCertificate: String?
    public var tlsKey: String?
    /// How long a sign-in lasts.
    public var sessionLifetime: TimeInterval
    /// The sign-in rate limit.
    public var throttle: LoginThrottle
    /// Results per search page.
    public var pageSize: Int
    /// Messages one export may hold at most.
    public var exportLimit: Int
    /// Page language when neither `?lang=` nor `Accept-Language` decides.
    public var defaultLanguage: LinkLanguage
    /// The zone dates are shown in.
    public var timeZone: TimeZone
    /// Take the client address from the last `X-Forwarded-For` entry (only behind your own proxy).
    public var trustForwardedFor: Bool

    public init(
        listen: String = "127.0.0.1:8901", tlsCertificate: String? = nil, tlsKey: String? = nil,
        sessionLifetime: TimeInterval = 8 * 3600, throttle: LoginThrottle = LoginThrottle(), pageSize: Int = 50,
        exportLimit: Int = 10_000, defaultLanguage: LinkLanguage = .ja, timeZone: TimeZone = .current,
        trustForwardedFor: Bool = false
    ) {
        self.listen = listen
        self.tlsCertificate = tlsCertificate
        self.tlsKey = tlsKey
        self.sessionLifetime = sessionLifetime
        self.throttle = throttle
        self.pageSize = pageSize
        self.exportLimit = exportLimit
        self.defaultLanguage = defaultLanguage
        self.timeZone = timeZone
        self.trustForwardedFor = trustForwardedFor
    }

    /// Whether the server speaks HTTPS.
    public var usesTLS: Bool { tlsCertificate != nil && tlsKey != nil }

    /// Checks the values once.
    /// - Throws: ``ArchiveError/configuration(_:)`` naming the bad key.
    public func validate() throws(ArchiveError) {
        do {
            _ = try ListenAddress(parsing: listen)
        } catch {
            throw .configuration("web.listen: \(error)")
        }
        if (tlsCertificate == nil) != (tlsKey == nil) { throw .configuration("web.tls_certificate and web.tls_key go together") }
        guard sessionLifetime >= 60 && sessionLifetime <= 7 * 86400 else { throw .configuration("web.session_lifetime: 1 minute to 7 days") }
        guard (1...500).contains(pageSize) else { throw .configuration("web.page_size: 1 to 500") }
        guard exportLimit >= 1 else { throw .configuration("web.export_limit: at least 1") }
    }
}

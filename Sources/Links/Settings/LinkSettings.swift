import Foundation

/// Settings for the link store (``LinkStore``), the download server (``LinkServer``) and the
/// janitor (``LinkJanitor``).
///
/// The gateway's configuration loader fills these in and calls ``validate()`` once at start;
/// the error names the setting (``LinkError/key``) in the configuration's snake_case spelling.
/// docs/links.md describes every setting.
public struct LinkSettings: Sendable {
    /// Where blobs (`blobs/`) and the database (`links.sqlite`) live. Created with mode 0700.
    public var directory: String
    /// What recipients reach, e.g. `https://files.example.co.jp`; link URLs are
    /// `baseURL + "/l/" + token`. A trailing slash is ignored.
    public var baseURL: String
    /// `host:port` (or `[v6]:port`) the download server listens on; port 0 picks a free port.
    public var listen: String
    /// A PEM certificate chain; with ``tlsKey`` the server speaks HTTPS.
    public var tlsCertificate: String?
    /// The PEM private key for ``tlsCertificate``.
    public var tlsKey: String?
    /// How long a link lives when the caller has no opinion (``defaultExpiry(from:)``).
    public var defaultLifetime: Duration
    /// Completed downloads allowed per file when ``NewLink/maximumDownloads`` is `nil`;
    /// `nil` means unlimited.
    public var maximumDownloads: Int?
    /// Wrong passwords allowed per link, and per client address, within ``attemptWindow``;
    /// after that every password attempt gets 429, the right password included.
    public var passwordAttemptsPerWindow: Int = 5
    /// The sliding window for ``passwordAttemptsPerWindow``.
    public var attemptWindow: Duration = .seconds(900)
    /// How often ``LinkJanitor`` removes the blobs of expired and revoked links.
    public var janitorInterval: Duration = .seconds(300)
    /// Take the client address from the last `X-Forwarded-For` entry (set by a reverse proxy
    /// in front of the server) instead of the TCP peer. Only enable behind such a proxy.
    public var trustForwardedFor = false
    /// The page language when neither `?lang=` nor `Accept-Language` picks one.
    public var defaultLanguage = LinkLanguage.ja
    /// The time zone expiry times are shown in on the pages.
    public var timeZone = TimeZone.current

    /// Settings with the defaults: a 7-day lifetime, unlimited downloads, 5 wrong passwords per
    /// 15 minutes, a janitor run every 5 minutes, plain HTTP.
    public init(
        directory: String,
        baseURL: String,
        listen: String = "127.0.0.1:8900",
        tlsCertificate: String? = nil,
        tlsKey: String? = nil,
        defaultLifetime: Duration = .seconds(7 * 86_400),
        maximumDownloads: Int? = nil,
        passwordAttemptsPerWindow: Int = 5,
        attemptWindow: Duration = .seconds(900),
        janitorInterval: Duration = .seconds(300)
    ) {
        self.directory = directory
        self.baseURL = baseURL
        self.listen = listen
        self.tlsCertificate = tlsCertificate
        self.tlsKey = tlsKey
        self.defaultLifetime = defaultLifetime
        self.maximumDownloads = maximumDownloads
        self.passwordAttemptsPerWindow = passwordAttemptsPerWindow
        self.attemptWindow = attemptWindow
        self.janitorInterval = janitorInterval
    }

    /// Checks every setting.
    /// - Throws: ``LinkError`` with code ``LinkError/Code/invalidSettings`` naming the first bad
    ///   setting (`directory`, `base_url`, `listen`, `tls_certificate`, `tls_key`,
    ///   `default_lifetime`, `maximum_downloads`, `password_attempts_per_window`,
    ///   `attempt_window`, `janitor_interval`).
    public func validate() throws(LinkError) {
        guard directory.hasPrefix("/") else {
            throw .settings("directory", "must be an absolute path, not \"\(directory)\"")
        }
        try Self.checkBaseURL(baseURL)
        _ = try ListenAddress(parsing: listen)
        switch (tlsCertificate, tlsKey) {
        case (nil, nil):
            break
        case (.some, nil):
            throw .settings("tls_key", "is required when tls_certificate is set")
        case (nil, .some):
            throw .settings("tls_certificate", "is required when tls_key is set")
        case (.some(let certificate), .some(let key)):
            for (name, path) in [("tls_certificate", certificate), ("tls_key", key)] {
                guard FileManager.default.isReadableFile(atPath: path) else {
                    throw .settings(name, "cannot read \(path)")
                }
            }
        }
        guard defaultLifetime > .zero else { throw .settings("default_lifetime", "must be longer than zero") }
        guard defaultLifetime <= .seconds(366 * 86_400) else {
            throw .settings("default_lifetime", "must be at most 366 days")
        }
        if let maximumDownloads, maximumDownloads < 1 {
            throw .settings("maximum_downloads", "must be at least 1 (leave it unset for unlimited)")
        }
        guard passwordAttemptsPerWindow >= 1 else {
            throw .settings("password_attempts_per_window", "must be at least 1")
        }
        guard attemptWindow >= .seconds(1) else { throw .settings("attempt_window", "must be at least one second") }
        guard janitorInterval >= .seconds(1) else { throw .settings("janitor_interval", "must be at least one second") }
    }

    /// `now` plus ``defaultLifetime``: the expiry for a ``NewLink`` when the rule sets none.
    public func defaultExpiry(from now: Date = Date()) -> Date {
        now.addingTimeInterval(defaultLifetime.timeInterval)
    }

    /// The page URL for a download token.
    func pageURL(token: String) -> String { trimmedBaseURL + "/l/" + token }

    /// The revoke URL for a revoke token.
    func revokeURL(token: String) -> String { trimmedBaseURL + "/r/" + token }

    private var trimmedBaseURL: String {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        return base
    }

    private static func checkBaseURL(_ text: String) throws(LinkError) {
        guard let url = URLComponents(string: text), let scheme = url.scheme?.lowercased(),
            scheme == "https" || scheme == "http"
        else { throw .settings("base_url", "must be an http:// or https:// URL, not \"\(text)\"") }
        guard let host = url.host, !host.isEmpty else { throw .settings("base_url", "has no host") }
        guard url.query == nil, url.fragment == nil, url.user == nil else {
            throw .settings("base_url", "must not have a query, a fragment or a user name")
        }
    }
}

extension Duration {
    /// The duration in seconds, as Foundation counts time.
    var timeInterval: TimeInterval {
        let parts = components
        return TimeInterval(parts.seconds) + TimeInterval(parts.attoseconds) / 1e18
    }
}

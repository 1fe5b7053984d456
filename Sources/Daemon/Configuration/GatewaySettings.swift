import Policy

/// What to do with a message when a filter (or the gateway) cannot do its job.
public enum FailureAction: String, Sendable, Hashable, CaseIterable {
    /// 4xx: the MTA keeps the mail and retries (the default; no mail is lost).
    case tempfail
    /// Let the message through untouched.
    case accept
    /// 5xx: refuse the message.
    case reject
}

/// How Sekisho tells internal senders and recipients from outside ones.
public struct InternalSettings: Sendable {
    /// Internal domains (`example.co.jp` includes subdomains; `@example.co.jp` exactly).
    public var domains: AddressTable<Void>
    /// Client networks whose senders are internal.
    public var networks: [NetworkRange]
    /// Whether a client logged in with SMTP AUTH (`{auth_authen}`) is internal.
    public var authenticatedIsInternal: Bool
    /// Postfix services (`{daemon_name}`) whose clients are internal.
    public var daemonNames: Set<String>

    public init(domains: AddressTable<Void> = AddressTable(), networks: [NetworkRange] = [], authenticatedIsInternal: Bool = true, daemonNames: Set<String> = []) {
        self.domains = domains
        self.networks = networks
        self.authenticatedIsInternal = authenticatedIsInternal
        self.daemonNames = daemonNames
    }

    /// The classifier the rule engine uses.
    public var classifier: DirectionClassifier {
        DirectionClassifier(internalNetworks: networks, internalDomains: domains, authenticatedIsInternal: authenticatedIsInternal, internalDaemonNames: daemonNames)
    }
}

/// Settings of one filter: its failure action, time limit and its own keys (read by the filter).
public struct FilterSettings: Sendable {
    public var onError: FailureAction
    public var timeout: Duration
    /// The filter's own settings, as written (flat `key: value`).
    public var parameters: [String: String]

    public init(onError: FailureAction, timeout: Duration, parameters: [String: String] = [:]) {
        self.onError = onError
        self.timeout = timeout
        self.parameters = parameters
    }
}

/// Log output.
public struct LoggingSettings: Sendable, Hashable {
    public enum Format: String, Sendable, Hashable, CaseIterable {
        /// `key=value` lines (the default; Postfix queue id on every message line).
        case keyvalue
        /// One JSON object per line.
        case json
    }

    public var level: String
    public var format: Format

    public init(level: String = "info", format: Format = .keyvalue) {
        self.level = level
        self.format = format
    }
}

/// The Prometheus endpoint on the web listener.
public struct MetricsSettings: Sendable, Hashable {
    public var enabled: Bool
    public var path: String

    public init(enabled: Bool = true, path: String = "/metrics") {
        self.enabled = enabled
        self.path = path
    }
}

/// The download-link server (`links:`): where it listens, the URL recipients reach, storage,
/// TLS, and the defaults for new links. docs/filters/link.md.
public struct LinkServerSettings: Sendable, Hashable {
    /// `HOST:PORT` of the download server (the public side: give it TLS or a reverse proxy).
    public var listen = "127.0.0.1:8900"
    /// What recipients reach: `https://files.example.co.jp` (links are `<base_url>/l/<token>`).
    public var baseURL: String
    /// Encrypted files and the link database; `nil` is `<state_directory>/links`.
    public var directory: String?
    /// PEM certificate chain and key: both set serves HTTPS.
    public var tlsCertificate: String?
    public var tlsKey: String?
    /// How long a link works unless the rule says otherwise.
    public var lifetime = Duration.seconds(7 * 86_400)
    /// Downloads allowed per file unless the rule says otherwise (`nil`: no limit).
    public var maximumDownloads: Int?

    public init(baseURL: String) {
        self.baseURL = baseURL
    }
}

import Milter
import Policy

/// The gateway's settings, with the embedded defaults `swift run sekishod` uses. This struct is
/// the one place defaults live; ``ConfigurationLoader`` fills it from the policy file
/// (docs/configuration.md, etc/sekisho.yaml).
public struct GatewayConfiguration: Sendable {
    /// Milter sockets the MTA connects to.
    public var milterListeners: [MilterSocketAddress]
    /// Directory for state (queues, databases); created at start.
    public var stateDirectory: String
    /// What to answer when the gateway cannot do its job (tempfail keeps the mail at the MTA).
    public var failureVerdict: MilterVerdict
    /// On SIGTERM, how long open SMTP sessions keep being served before they are closed between
    /// messages (the MTA then retries, nothing is lost).
    public var shutdownDrain = Duration.seconds(30)
    /// The web listener (`HOST:PORT`) for /healthz and /metrics; `nil` turns it off.
    public var webListen: String? = "127.0.0.1:8899"
    /// Where state lives: `sqlite:PATH` (default) or `postgres://…`.
    public var storage = "sqlite:./var/sekisho.sqlite"
    /// The global failure action; filters default to it.
    public var onError = FailureAction.tempfail {
        didSet { failureVerdict = onError.verdict }
    }
    /// Where split copies are reinjected (`HOST:PORT` of an MTA listener without this milter, e.g.
    /// Postfix's `127.0.0.1:10027`); `nil`: messages whose recipients need different treatment
    /// get the failure action.
    public var reinjectionRelay: String?
    /// The HELO name used when reinjecting.
    public var reinjectionHeloName = "localhost"
    /// The download-link server; `nil`: no `link` action.
    public var links: LinkServerSettings?
    /// The mail archive (`archive:`), `nil` when not configured.
    public var archive: ArchiveGatewaySettings?
    /// Where `duplicate` actions send copies (`duplicate:`); empty when not configured.
    public var duplicate = DuplicateSettings()
    /// Internal domains and networks.
    public var internalScope = InternalSettings()
    /// Named lookup tables.
    public var tables = [String: AddressTable<Void>]()
    /// The rules, in order.
    public var rules = [Rule]()
    /// Per-filter settings.
    public var filters = [String: FilterSettings]()
    /// Logging.
    public var logging = LoggingSettings()
    /// Metrics.
    public var metrics = MetricsSettings()

    /// A filter's time limit unless its settings say otherwise.
    public static let defaultFilterTimeout = Duration.seconds(60)

    public init(
        milterListeners: [MilterSocketAddress] = [.inet(host: "127.0.0.1", port: 8898)],
        stateDirectory: String = "./var",
        failureVerdict: MilterVerdict = .tempfail
    ) {
        self.milterListeners = milterListeners
        self.stateDirectory = stateDirectory
        self.failureVerdict = failureVerdict
    }

    /// Settings for a filter (its own, or the defaults with the global failure action).
    public func settings(forFilter name: String) -> FilterSettings {
        filters[name] ?? FilterSettings(onError: onError, timeout: Self.defaultFilterTimeout)
    }

    /// The embedded defaults: milter on inet:8898@127.0.0.1, web on 127.0.0.1:8899, state under ./var, tempfail on failure.
    public static let embeddedDefaults = GatewayConfiguration()
}

extension FailureAction {
    /// The milter verdict for this action.
    public var verdict: MilterVerdict {
        switch self {
        case .tempfail: .tempfail
        case .accept: .accept
        case .reject: .reject
        }
    }
}

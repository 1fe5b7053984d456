import Milter

/// The gateway's settings, with the embedded defaults `swift run sekishod` uses.
///
/// This is the start of the typed configuration (docs/configuration.md); the policy file, rules
/// and filters arrive with the gateway issue.
public struct GatewayConfiguration: Sendable {
    /// Milter sockets the MTA connects to.
    public var milterListeners: [MilterSocketAddress]
    /// Directory for state (queues, databases); created at start.
    public var stateDirectory: String
    /// What to answer when the gateway cannot do its job (tempfail keeps the mail at the MTA).
    public var failureVerdict: MilterVerdict

    public init(
        milterListeners: [MilterSocketAddress] = [.inet(host: "127.0.0.1", port: 10029)],
        stateDirectory: String = "./var",
        failureVerdict: MilterVerdict = .tempfail
    ) {
        self.milterListeners = milterListeners
        self.stateDirectory = stateDirectory
        self.failureVerdict = failureVerdict
    }

    /// The embedded defaults: milter on inet:10029@127.0.0.1, state under ./var, tempfail on failure.
    public static let embeddedDefaults = GatewayConfiguration()
}

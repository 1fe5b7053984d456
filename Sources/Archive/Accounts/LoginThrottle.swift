import Foundation

/// The sign-in rate limit, read from the audit log (so it survives restarts and holds across
/// processes): at most ``perAccount`` failed sign-ins for one name from one client, and
/// ``perClient`` from one client for any names, within ``window``. Past that, sign-in is
/// refused (HTTP 429) without checking the password until the window has moved on.
public struct LoginThrottle: Sendable {
    public var perAccount: Int
    public var perClient: Int
    public var window: TimeInterval

    public init(perAccount: Int = 5, perClient: Int = 20, window: TimeInterval = 15 * 60) {
        self.perAccount = perAccount
        self.perClient = perClient
        self.window = window
    }

    /// Whether a sign-in as `account` from `client` must be refused now.
    public func isBlocked(account: String, client: String, audit: ArchiveAudit) async throws -> Bool {
        let counts = try await audit.failures(account: account, client: client, since: audit.now().addingTimeInterval(-window))
        return counts.pair >= perAccount || counts.client >= perClient
    }
}

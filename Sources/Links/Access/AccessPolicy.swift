/// Decides whether a download may start. Pure: the store gathers the facts, this says yes,
/// no (and why), or "check the password first". Table-tested in AccessPolicyTests.
///
/// The order of the checks is the order of the fields: revoked, expired, over the cap,
/// password missing, too many wrong passwords, password to verify.
enum AccessPolicy {
    /// What is known about the link, the file and the client at the moment of the request.
    struct Facts: Hashable, Sendable {
        var revoked: Bool
        /// Past the expiry time, or purged.
        var expired: Bool
        /// Downloads of the file so far (completed or under way).
        var downloads: Int
        var maximumDownloads: Int?
        var hasPassword: Bool
        /// Whether the request carried a password (a POST with the form field).
        var passwordGiven: Bool
        /// Wrong passwords for this link within the window.
        var recentFailuresForLink: Int
        /// Wrong passwords from this client address (for any link) within the window.
        var recentFailuresForClient: Int
        /// ``LinkSettings/passwordAttemptsPerWindow``.
        var attemptLimit: Int
    }

    /// The decision.
    enum Verdict: Hashable, Sendable {
        /// Refused; the outcome gives the audit entry and the HTTP status.
        case refuse(AuditOutcome)
        /// Allowed if the password verifies (else ``AuditOutcome/badPassword``).
        case verifyPassword
        /// Allowed.
        case allow
    }

    static func decide(_ facts: Facts) -> Verdict {
        if facts.revoked { return .refuse(.revoked) }
        if facts.expired { return .refuse(.expired) }
        if let maximum = facts.maximumDownloads, facts.downloads >= maximum { return .refuse(.overCap) }
        guard facts.hasPassword else { return .allow }
        guard facts.passwordGiven else { return .refuse(.passwordRequired) }
        if facts.recentFailuresForLink >= facts.attemptLimit || facts.recentFailuresForClient >= facts.attemptLimit {
            return .refuse(.rateLimited)
        }
        return .verifyPassword
    }
}

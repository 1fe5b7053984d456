import Testing

@testable import Links

/// The download decision as a table.
@Suite("Access policy")
struct AccessPolicyTests {
    static func facts(
        revoked: Bool = false, expired: Bool = false, downloads: Int = 0, maximum: Int? = nil, password: Bool = false,
        given: Bool = false, linkFailures: Int = 0, clientFailures: Int = 0
    ) -> AccessPolicy.Facts {
        AccessPolicy.Facts(
            revoked: revoked, expired: expired, downloads: downloads, maximumDownloads: maximum, hasPassword: password,
            passwordGiven: given, recentFailuresForLink: linkFailures, recentFailuresForClient: clientFailures,
            attemptLimit: 5)
    }

    static let table: [(String, AccessPolicy.Facts, AccessPolicy.Verdict)] = [
        ("plain link", facts(), .allow),
        ("revoked beats everything", facts(revoked: true, expired: true, downloads: 9, maximum: 1), .refuse(.revoked)),
        ("expired", facts(expired: true), .refuse(.expired)),
        ("under the cap", facts(downloads: 1, maximum: 2), .allow),
        ("at the cap", facts(downloads: 2, maximum: 2), .refuse(.overCap)),
        ("unlimited", facts(downloads: 1_000), .allow),
        ("password link without a password", facts(password: true), .refuse(.passwordRequired)),
        ("password given", facts(password: true, given: true, linkFailures: 4, clientFailures: 4), .verifyPassword),
        ("link at the failure limit", facts(password: true, given: true, linkFailures: 5), .refuse(.rateLimited)),
        ("client at the failure limit", facts(password: true, given: true, clientFailures: 5), .refuse(.rateLimited)),
        ("password on a plain link is ignored", facts(given: true, linkFailures: 9), .allow),
        ("expired before the password", facts(expired: true, password: true, given: true), .refuse(.expired)),
    ]

    @Test("verdicts", arguments: table)
    func verdict(_ row: (String, AccessPolicy.Facts, AccessPolicy.Verdict)) {
        #expect(AccessPolicy.decide(row.1) == row.2, "\(row.0)")
    }

    @Test("outcomes map to HTTP statuses")
    func statuses() {
        #expect(AuditOutcome.notFound.status == 404)
        #expect([AuditOutcome.expired, .overCap, .revoked].allSatisfy { $0.status == 410 })
        #expect([AuditOutcome.badPassword, .passwordRequired].allSatisfy { $0.status == 403 })
        #expect(AuditOutcome.rateLimited.status == 429)
        #expect(AuditOutcome.corrupt.status == 500)
    }
}

import Foundation

/// What a web UI user may do.
public enum ArchiveRole: String, Sendable, CaseIterable, Codable {
    /// Sees every message; places and releases legal holds; reads the audit log.
    case admin
    /// Sees only messages of their domains (``ArchiveAccount/domains``).
    case auditor
}

/// A web UI user (never with the password hash).
public struct ArchiveAccount: Sendable, Equatable {
    public var name: String
    public var role: ArchiveRole
    /// An auditor's domains, lower-cased (subdomains included); empty for admins.
    public var domains: [String]
    public var createdAt: Date
    public var disabled: Bool

    public init(name: String, role: ArchiveRole, domains: [String], createdAt: Date, disabled: Bool) {
        self.name = name
        self.role = role
        self.domains = domains
        self.createdAt = createdAt
        self.disabled = disabled
    }

    /// The messages this user may see: everything for an admin, the domains for an auditor.
    public var scope: ArchiveScope {
        role == .admin ? .everything : ArchiveScope(domains: domains)
    }

    public var isAdmin: Bool { role == .admin }
}

/// Why an account operation was refused.
public struct ArchiveAccountError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What was wrong.
    public enum Reason: String, Sendable {
        case invalidName = "invalid account name"
        case emptyPassword = "empty password"
        case invalidDomain = "invalid domain"
        case auditorWithoutDomains = "an auditor needs at least one domain"
        case exists = "account exists"
        case unknown = "no such account"
    }

    public var reason: Reason
    /// The name or domain at fault (never a password).
    public var subject: String

    public init(_ reason: Reason, _ subject: String) {
        self.reason = reason
        self.subject = subject
    }

    public var description: String { "\(reason.rawValue): \(subject)" }
}

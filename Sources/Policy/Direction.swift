/// Which way a message goes for one recipient.
public enum Direction: String, Sendable, Hashable, CaseIterable, Codable {
    /// From an internal sender to an outside recipient.
    case outbound
    /// From outside.
    case inbound
    /// From an internal sender to an internal recipient.
    case internalOnly = "internal"
}

/// Tells internal senders from outside ones the way a mail administrator configures it: the
/// client is on an internal network, or logged in with SMTP AUTH (`{auth_authen}`), or came in
/// through a Postfix service named as internal (`{daemon_name}`, e.g. a submission port). Recipients
/// are internal when their domain is in the internal-domains table.
public struct DirectionClassifier: Sendable {
    public var internalNetworks: [NetworkRange]
    public var internalDomains: AddressTable<Void>
    /// Whether an authenticated client counts as internal.
    public var authenticatedIsInternal: Bool
    /// Postfix service names (`{daemon_name}`) whose clients count as internal.
    public var internalDaemonNames: Set<String>

    public init(
        internalNetworks: [NetworkRange] = [],
        internalDomains: AddressTable<Void> = AddressTable(),
        authenticatedIsInternal: Bool = true,
        internalDaemonNames: Set<String> = []
    ) {
        self.internalNetworks = internalNetworks
        self.internalDomains = internalDomains
        self.authenticatedIsInternal = authenticatedIsInternal
        self.internalDaemonNames = internalDaemonNames
    }

    /// Whether the sending client is internal.
    public func senderIsInternal(_ facts: MessageFacts) -> Bool {
        if authenticatedIsInternal, let user = facts.authenticatedUser, !user.isEmpty { return true }
        if let daemon = facts.daemonName, internalDaemonNames.contains(daemon) { return true }
        if let client = facts.clientAddress, internalNetworks.contains(where: { $0.contains(client) }) { return true }
        return false
    }

    /// The direction for one recipient.
    public func direction(_ facts: MessageFacts, recipient: String) -> Direction {
        guard senderIsInternal(facts) else { return .inbound }
        return internalDomains.contains(recipient) ? .internalOnly : .outbound
    }
}

import Outbound

/// One place copies go (`duplicate.destinations.<name>`): the SMTP server, how the copy's
/// envelope is made, how it is retried and reported, and how it is disarmed.
public struct DuplicateDestination: Sendable {
    /// The envelope sender of a copy.
    public enum Sender: Sendable, Equatable {
        /// The original's sender (mapped by ``senderMap`` when it matches).
        case keep
        /// The null sender `<>` (MADAI's choice: nothing bounces back to the sender).
        case null
        /// Always this address.
        case address(String)
    }

    /// The envelope recipients of a copy.
    public enum Recipients: Sendable, Equatable {
        /// The original's recipients that chose this destination (mapped by ``recipientMap``).
        case keep
        /// Always these addresses (a journal mailbox, say).
        case fixed([String])
    }

    /// The name rules use (`duplicate: { to: internal }`).
    public var name: String
    /// Host, port, STARTTLS mode and checks; `credentials` names this destination when it
    /// authenticates.
    public var relay: SMTPRelay
    /// AUTH user and password (the password read from a file), or `nil`.
    public var credentials: SMTPCredentials?
    public var sender = Sender.keep
    /// Applied to a kept sender; a sender it does not match stays as it is.
    public var senderMap: AddressRewrite?
    public var recipients = Recipients.keep
    /// Applied to kept recipients.
    public var recipientMap: AddressRewrite?
    /// With a recipient map, whether recipients it does not match are dropped from the copy
    /// (`unmapped: drop`) rather than kept as they are.
    public var dropsUnmappedRecipients = false
    /// Retry delays and maximum age of copies.
    public var retry: RetrySchedule
    /// Who hears about a copy given up on: `drop` (logged as critical and counted, the
    /// default) or `notify:ADDRESS`. Never the original's sender.
    public var failurePolicy = PermanentFailurePolicy.drop
    /// How the copy is disarmed.
    public var sanitizing = CopySanitizing()

    public init(name: String, relay: SMTPRelay, retry: RetrySchedule = DuplicateDestination.defaultRetry) {
        self.name = name
        self.relay = relay
        self.retry = retry
    }

    /// Copies are retried after 10 s, doubling to at most 5 minutes, for 5 days.
    public static let defaultRetry = RetrySchedule(initialDelay: .seconds(10), factor: 2, maximumDelay: .seconds(300))

    /// The copy's envelope sender for an original from `original` (`""` is `<>`).
    public func copySender(for original: String) -> String {
        switch sender {
        case .null: return ""
        case .address(let address): return address
        case .keep:
            guard !original.isEmpty else { return "" }
            return senderMap?.rewrite(original) ?? original
        }
    }

    /// The copy's envelope recipients for the original recipients that chose this destination,
    /// without repeats (compared case-insensitively); may be empty.
    public func copyRecipients(for originals: [String]) -> [String] {
        let mapped: [String]
        switch recipients {
        case .fixed(let addresses):
            mapped = addresses
        case .keep:
            mapped = originals.compactMap { original in
                guard let map = recipientMap else { return original }
                return map.rewrite(original) ?? (dropsUnmappedRecipients ? nil : original)
            }
        }
        var seen = Set<String>()
        return mapped.filter { seen.insert($0.lowercased()).inserted }
    }
}

/// The `duplicate:` section: named destinations. Read at start and on SIGHUP like the rules
/// (a destination's relay and sanitizing apply to copies made after the reload; copies already
/// queued keep the relay they were queued with).
public struct DuplicateSettings: Sendable {
    /// By name.
    public var destinations: [String: DuplicateDestination] = [:]
    /// The destinations as written, to tell on reload whether what the delivery service took
    /// at start (auth, retry, failure_report) may have changed: those need a restart.
    public var deliveryFingerprint = ""

    public init(destinations: [String: DuplicateDestination] = [:]) {
        self.destinations = destinations
    }
}

import MailMessage
import Milter
import Policy

/// Where a filter runs. Checks (read-only: virus scan, DKIM verify, approval gate) come before
/// transforms (encrypt, link, strip, banner); observers (archive, duplicate) see the final message;
/// DKIM signing runs last. docs/flow.md follows one message through this order.
public enum FilterStage: Int, Comparable, Sendable, CaseIterable {
    case check
    case transform
    case observe
    case sign

    public static func < (lhs: FilterStage, rhs: FilterStage) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// One message on its way through the pipeline, for one group of recipients.
public struct FilterWork: Sendable {
    /// The message (transforms replace it).
    public var message: MailMessage
    /// What the rules saw.
    public let facts: MessageFacts
    /// The recipients of this group.
    public let recipients: [String]
    /// The Postfix queue id (`{i}`), for log lines.
    public let queueID: String?
    /// A check's decision to stop the message (`reject`, `tempfail`, `discard`); `nil` goes on.
    public var verdict: MilterVerdict?
    /// Whether a transform changed the message.
    public var changed = false
    /// Mail to send once the MTA has this message (password notices): queued durably before
    /// the MTA is answered, released after.
    public var followUps: [FollowUpMail] = []
    /// Things a filter wants logged with the message (skipped parts, reasons), never secrets.
    public var notes: [String] = []

    /// Takes `message` when only its header changed (a keyword removed from the Subject) and
    /// marks the work changed; an identical header leaves the work as it is.
    public mutating func takeHeaderChanges(from message: MailMessage) {
        guard message.header.raw != self.message.header.raw else { return }
        self.message = message
        changed = true
    }

    public init(message: MailMessage, facts: MessageFacts, recipients: [String], queueID: String?) {
        self.message = message
        self.facts = facts
        self.recipients = recipients
        self.queueID = queueID
    }
}

/// A filter the rules can name. Implementations are pure where they can be; anything slow or
/// external is async and bounded by the filter's timeout.
public protocol MessageFilter: Sendable {
    /// The name rules use (`encrypt`, `archive`, …).
    var name: String { get }
    /// Where it runs.
    var stage: FilterStage { get }
    /// Runs for one group; `parameters` are the rule action's.
    func run(_ work: FilterWork, parameters: [String: String]) async throws -> FilterWork
}

/// A filter that cannot do its job with this message; the message gets the filter's failure action.
public struct FilterError: Error, CustomStringConvertible, Sendable {
    public var filter: String
    public var reason: String

    public init(filter: String, reason: String) {
        self.filter = filter
        self.reason = reason
    }

    public var description: String { "\(filter): \(reason)" }
}

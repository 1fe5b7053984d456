import Archive
import Foundation
import Logging
import MailMessage
import Policy

/// The archive's part in a message's way through the gateway. The `archive` action is decided
/// per message, not per recipient group: the copy as received is written once (before the MTA
/// is answered, durably: a failure is the filter's failure action, tempfail by default, so
/// nothing unarchived gets through), and with `delivered: yes` each message as it leaves.
/// Indexing follows in the background (``ArchiveIndexer``).
struct ArchiveStep: Sendable {
    let store: ArchiveStore
    let indexer: ArchiveIndexer
    let policy: ArchivePolicy

    /// What the rules chose for the message as a whole.
    struct Decision: Sendable, Equatable {
        /// Days to keep (`nil`: for ever).
        var retentionDays: Int?
        /// Also keep the delivered messages.
        var delivered: Bool
    }

    /// The message-level decision from the per-recipient decisions, or `nil` when no rule
    /// archives. Each recipient's retention is its rule's (over `filters.archive`), else
    /// `archive.retention`, else for ever; the message keeps the longest — a copy that any
    /// recipient's rule wants kept for ever is kept for ever.
    static func decision(_ decisions: [RecipientDecision], defaultRetentionDays: Int?, parameters: (RuleAction) -> [String: String]) -> Decision? {
        var chosen = false
        var retention: Int? = 0
        var delivered = false
        for decision in decisions {
            guard let action = decision.actions.first(where: { $0.filter == ArchiveStep.filterName }) else { continue }
            chosen = true
            // Parameters were validated at load; an unreadable one keeps the copy for ever.
            let settings = try? ArchiveActionSettings(parameters(action))
            delivered = delivered || (settings?.delivered ?? false)
            let days = settings.map { $0.retentionDays ?? defaultRetentionDays } ?? nil
            if let days, let current = retention { retention = max(current, days) } else { retention = nil }
        }
        return chosen ? Decision(retentionDays: retention, delivered: delivered) : nil
    }

    static let filterName = "archive"

    /// Writes `message` as a durable copy and queues it for indexing; returns `nil` when the
    /// archive policy leaves it out.
    @discardableResult
    func archive(
        _ message: MailMessage, kind: ArchiveCopyKind, sender: String, recipients: [String], decision: Decision, facts: MessageFacts,
        queueID: String?, direction: String, logger: Logger
    ) throws -> StoredCopy? {
        let addresses = policy.addresses(sender: sender, recipients: recipients, header: message.header)
        guard !addresses.isEmpty else {
            logger.info("archive skipped by policy", metadata: ["kind": "\(kind.rawValue)"])
            return nil
        }
        let envelope = ArchiveEnvelope(
            sender: sender, recipients: recipients, clientAddress: facts.clientAddress, queueID: queueID, receivedAt: Date(),
            direction: direction, kind: kind, retentionDays: decision.retentionDays
        )
        let copy = try store.write(envelope: envelope, savedFor: addresses) { emit in try message.write(to: emit) }
        indexer.submit(copy)
        logger.info("archived", metadata: ["kind": "\(kind.rawValue)", "key": "\(copy.key)", "folders": "\(copy.envelope.folders.joined(separator: ","))"])
        return copy
    }

    /// `inbound`, `outbound`, `internal`, or `mixed` when recipients differ.
    static func direction(_ decisions: [RecipientDecision]) -> String {
        let directions = Set(decisions.map(\.direction.rawValue))
        return directions.count == 1 ? directions.first! : directions.isEmpty ? "inbound" : "mixed"
    }
}

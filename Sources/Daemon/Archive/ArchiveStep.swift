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
    let defaultRetentionDays: Int?

    /// The archive actions the rules chose, with their recipients.
    struct Decision: Sendable {
        var recipients: [String]
        var settings: ArchiveActionSettings
    }

    /// The message-level decision from the per-recipient decisions, or `nil` when no rule archives.
    static func decision(_ decisions: [RecipientDecision], parameters: (RuleAction) -> [String: String]) -> Decision? {
        var recipients = [String]()
        var retention: Int?
        var unlimited = false
        var delivered = false
        for decision in decisions {
            guard let action = decision.actions.first(where: { $0.filter == ArchiveStep.filterName }) else { continue }
            recipients.append(decision.recipient)
            guard let settings = try? ArchiveActionSettings(parameters(action)) else { continue }
            delivered = delivered || settings.delivered
            // The longest retention of the rules that chose it wins; any rule without one keeps it.
            if let days = settings.retentionDays { retention = max(retention ?? 0, days) } else { unlimited = true }
        }
        guard !recipients.isEmpty, var settings = try? ArchiveActionSettings([:]) else { return nil }
        settings.retentionDays = unlimited ? nil : retention
        settings.delivered = delivered
        return Decision(recipients: recipients, settings: settings)
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
        let retention = decision.settings.retentionDays ?? defaultRetentionDays
        let envelope = ArchiveEnvelope(
            sender: sender, recipients: recipients, clientAddress: facts.clientAddress, queueID: queueID, receivedAt: Date(),
            direction: direction, kind: kind, retentionDays: retention
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

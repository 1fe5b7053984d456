import Foundation
import Logging
import MailMessage
import NIOPosix
import Outbound
import Policy

/// Duplication's part in a message's way through the gateway (MADAI done so it can be trusted).
/// The `duplicate` action is decided per message, like `archive`: it never splits a message.
/// Each destination gets one copy of the message as received, for the recipients whose rules
/// chose it, disarmed as the destination's `sanitize` says, with the envelope mapped as it
/// says. Copies are written to the durable outbound queue *held* before the MTA is answered
/// and released once the answer is decided; delivery (retries, reports) is the queue's.
struct DuplicateStep: Sendable {
    static let filterName = "duplicate"

    /// The queue copies go into.
    let queue: OutboundQueue
    /// Counts `queued` per destination.
    let metrics: OutboundMetrics?
    /// Large copies are written here before they are queued.
    let temporaryDirectory: String
    /// Stamps copies so that one coming back through this gateway passes untouched.
    let loopGuard: LoopGuard?

    /// One copy to make: where, and for which of the original recipients.
    struct PlannedCopy: Sendable {
        var destination: DuplicateDestination
        var recipients: [String]
    }

    /// The destinations one action names: `to` (one name or a list); without it, the only
    /// destination there is.
    /// - Throws: ``FilterError`` for an unknown name, a missing `to` with several destinations,
    ///   or an unknown parameter.
    static func destinations(_ parameters: [String: String], in settings: DuplicateSettings) throws(FilterError) -> [String] {
        var reader = ParameterReader(parameters, filter: filterName)
        var names = reader.list("to")
        try reader.finish()
        if names.isEmpty {
            guard settings.destinations.count == 1, let only = settings.destinations.keys.first else {
                let known = settings.destinations.keys.sorted().joined(separator: ", ")
                throw FilterError(filter: filterName, reason: settings.destinations.isEmpty ? "the duplicate action needs the duplicate: section (where copies go)" : "say which destination: to: (one of \(known))")
            }
            names = [only]
        }
        for name in names where settings.destinations[name] == nil {
            let known = settings.destinations.keys.sorted().joined(separator: ", ")
            throw FilterError(filter: filterName, reason: "no destination named \"\(name)\" in duplicate.destinations (known: \(known.isEmpty ? "none" : known))")
        }
        return names
    }

    /// The copies the rules chose for a message: per destination (in name order) the original
    /// recipients whose rule named it, in envelope order.
    static func plan(_ decisions: [RecipientDecision], settings: DuplicateSettings, parameters: (RuleAction) -> [String: String]) throws(FilterError) -> [PlannedCopy] {
        var recipients = [String: [String]]()
        for decision in decisions {
            guard let action = decision.actions.first(where: { $0.filter == filterName }) else { continue }
            for name in try destinations(parameters(action), in: settings) {
                recipients[name, default: []].append(decision.recipient)
            }
        }
        return recipients.keys.sorted().compactMap { name in
            settings.destinations[name].map { PlannedCopy(destination: $0, recipients: recipients[name] ?? []) }
        }
    }

    /// Messages up to this size are disarmed on the session's own thread.
    static let inPlaceLimit = 256 * 1024

    /// What was queued, for the message's log line.
    struct Queued: Sendable {
        var ids: [Int64] = []
        /// `destination:entry` per copy.
        var summaries: [String] = []
        var destinations: [String] = []
    }

    /// Counts the copies as queued, once they are released.
    func countQueued(_ queued: Queued) {
        for name in queued.destinations { metrics?.recordQueued(destination: name) }
    }

    /// Makes every planned copy and queues it held. On any error the copies queued so far are
    /// dropped and the error thrown: the caller answers with the failure action.
    func queueCopies(
        of message: MailMessage, size: Int, plan: [PlannedCopy], sender: String, queueID: String?, logger: Logger
    ) async throws -> Queued {
        var queued = Queued()
        do {
            for copy in plan {
                let recipients = copy.destination.copyRecipients(for: copy.recipients)
                guard !recipients.isEmpty else {
                    logger.notice("no copy: the recipient map leaves nobody", metadata: ["duplicate.destination": "\(copy.destination.name)"])
                    continue
                }
                let copySender = copy.destination.copySender(for: sender)
                let request = try await makeRequest(message, messageSize: size, copy: copy, sender: copySender, recipients: recipients, queueID: queueID, logger: logger)
                let id = try await enqueue(request)
                queued.ids.append(id)
                queued.summaries.append("\(copy.destination.name):\(id)")
                queued.destinations.append(copy.destination.name)
            }
        } catch {
            for id in queued.ids { _ = try? await queue.drop(id) }
            throw error
        }
        return queued
    }

    /// Disarms and serialises the copy off the cooperative pool (large messages take a while).
    private func makeRequest(
        _ message: MailMessage, messageSize: Int, copy: PlannedCopy, sender: String, recipients: [String], queueID: String?, logger: Logger
    ) async throws -> (EnqueueRequest, temporaryFile: String?) {
        let destination = copy.destination
        // The envelope first: nothing is written for a copy whose addresses are refused.
        let envelopeSender = sender.isEmpty ? SMTPAddress.null : try SMTPAddress(sender)
        let envelopeRecipients = try recipients.map { (address) throws in try SMTPAddress(address) }
        let directory = temporaryDirectory
        let loopGuard = self.loopGuard
        let make = { @Sendable () throws -> (SpoolDirectory.Source, String?, SanitizedCopy) in
            let sanitized = try CopySanitizer(destination.sanitizing).sanitize(message, mark: CopyMark(destination: destination.name, queueID: queueID))
            var prefix = [UInt8]()
            if let loopGuard {
                let stamp = loopGuard.stamp(messageID: sanitized.message.messageID ?? "", recipients: recipients, now: Int64(Date().timeIntervalSince1970))
                prefix = Array("\(LoopGuard.headerName): \(stamp)\r\n".utf8)
            }
            let (source, file) = try CopyFile.write(sanitized.message, prefix: prefix, directory: directory)
            return (source, file, sanitized)
        }
        // A small message is done where it is (a hop to the thread pool and back costs more than
        // the work); a large one on NIO's thread pool, off the threads serving sessions.
        let (source, temporaryFile, sanitized) = messageSize <= Self.inPlaceLimit ? try make() : try await NIOThreadPool.singleton.runIfActive(make)
        logger.info("copy made", metadata: [
            "duplicate.destination": "\(destination.name)", "duplicate.removed": "\(sanitized.removed.map(\.name).joined(separator: ","))",
            "duplicate.html_converted": "\(sanitized.htmlPartsConverted)", "duplicate.active_removed": "\(sanitized.activeContentRemoved)",
            "duplicate.urls_defanged": "\(sanitized.urlsDefanged)", "duplicate.notes": "\(sanitized.notes.joined(separator: "; "))",
            "duplicate.rcpt": "\(recipients.joined(separator: ","))",
        ])
        let request = EnqueueRequest(
            sender: envelopeSender, recipients: envelopeRecipients, message: source, relay: destination.relay, origin: "duplicate",
            originQueueID: queueID, held: true, destination: destination.name
        )
        return (request, temporaryFile)
    }

    private func enqueue(_ made: (EnqueueRequest, temporaryFile: String?)) async throws -> Int64 {
        defer { if let file = made.temporaryFile { unlink(file) } }
        return try await queue.enqueue(made.0)
    }
}

import Archive
import Foundation
import Logging
import MailMessage
import Milter
import NIOCore
import NIOPosix
import Outbound
import Policy
import Synchronization

/// The gateway's milter handler: collects the envelope and the message (streamed into the MIME
/// parser, large parts spooled), and at end of message checks the loop guard, asks the rules
/// what to do per recipient, runs the pipeline for the recipients that stay in the original
/// message, and answers the MTA with the modifications — or with the failure action when it
/// cannot do its job. One line is logged per message with the Postfix queue id.
struct PolicyMilter: MilterHandler {
    struct Context: Sendable {
        let configuration: GatewayConfiguration
        let pipeline: Pipeline
        let loopGuard: LoopGuard?
        let reinjection: Reinjection?
        let metrics: GatewayMetrics?
        let logger: Logger
        /// The archive, when `archive:` is configured.
        var archive: ArchiveStep? = nil
        /// Duplication, when `duplicate:` is configured.
        var duplicate: DuplicateStep? = nil

        /// The queue that holds split copies, notices and duplicates until the answer.
        var heldQueue: OutboundQueue? { reinjection?.queue ?? duplicate?.queue }
    }

    /// Where split copies go: the durable queue and the MTA listener without this milter.
    struct Reinjection: Sendable {
        let queue: OutboundQueue
        let relay: SMTPRelay
    }

    private let context: Context
    private var clientAddress: String?
    private var sender = ""
    private var authenticatedUser: String?
    private var recipients = [String]()
    private var parser: MIMEStreamParser?
    private var originalHeader = [UInt8]()
    private var originalBody = [UInt8]()
    private var size = 0
    private var sessionCounted = false
    /// Mail held for the message being answered, until the answer is written (dropped by
    /// ``abort(macros:)`` or ``close()`` when it never is).
    private var heldMail: HeldMail?

    init(context: Context) {
        self.context = context
    }

    var capabilities: MilterCapabilities {
        // HDR_LEADSPC: header values arrive with the whitespace after the colon, so the message
        // is rebuilt byte for byte (the archive keeps it as received).
        MilterCapabilities(requiredActions: [.addHeaders, .changeHeaders, .changeBody, .deleteRecipients], headerLeadingSpace: true)
    }

    mutating func connect(_ client: ConnectInfo, macros: MilterMacros) async throws -> MilterVerdict {
        context.metrics?.session(opened: true)
        sessionCounted = true
        // Without Sendmail's `IPv6:` prefix (it sends `IPv6:0:0:0:0:0:0:0:1`).
        clientAddress = client.address.ipAddress
        return .continue
    }

    mutating func envelopeFrom(_ sender: EnvelopeAddress, macros: MilterMacros) async throws -> MilterVerdict {
        await dropUnansweredHeldMail()
        self.sender = sender.address
        authenticatedUser = macros["{auth_authen}"].flatMap { $0.isEmpty ? nil : $0 }
        recipients = []
        // An empty policy passes mail through: the message is not collected at all.
        parser = context.configuration.rules.isEmpty ? nil : MIMEStreamParser(options: Self.parserOptions(context.configuration))
        originalHeader = []
        originalBody = []
        size = 0
        return .continue
    }

    mutating func envelopeRecipient(_ recipient: EnvelopeAddress, macros: MilterMacros) async throws -> MilterVerdict {
        recipients.append(recipient.address)
        return .continue
    }

    mutating func header(_ field: Milter.HeaderField, macros: MilterMacros) async throws -> MilterVerdict {
        guard parser != nil else { return .continue }
        // Rebuild the header as it was written; the milter folds continuation lines with LF.
        // Without HDR_LEADSPC the MTA removed one space after the colon: put it back.
        var line = Array(field.name.utf8) + Array((field.leadingSpaceKept ? ":" : ": ").utf8)
        for byte in field.valueBytes.readableBytesView {
            if byte == 0x0A { line += [0x0D, 0x0A] } else if byte != 0x0D { line.append(byte) }
        }
        line += [0x0D, 0x0A]
        originalHeader += line
        try parser?.feed(line)
        size += line.count
        return .continue
    }

    mutating func endOfHeaders(macros: MilterMacros) async throws -> MilterVerdict {
        guard parser != nil else { return .continue }
        try parser?.feed([0x0D, 0x0A])
        size += 2
        return .continue
    }

    mutating func bodyChunk(_ chunk: ByteBuffer, macros: MilterMacros) async throws -> MilterVerdict {
        size += chunk.readableBytes
        guard let parser else { return .continue }
        // Fed straight from the received packet: no copy unless the body is kept for comparison.
        let keep = originalBody.count < Self.bodyCompareLimit
        try chunk.withUnsafeReadableBytes { bytes in
            try parser.feed(bytes)
            if keep { originalBody.append(contentsOf: bytes) }
        }
        return .continue
    }

    mutating func endOfMessage(_ modifier: MessageModifier, macros: MilterMacros) async throws -> MilterVerdict {
        let verdict = try await decide(modifier, macros: macros)
        context.metrics?.message(verdict: Self.label(verdict))
        return verdict
    }

    static func label(_ verdict: MilterVerdict) -> String {
        switch verdict {
        case .continue, .accept: "continue"
        case .tempfail: "tempfail"
        case .reject: "reject"
        case .discard: "discard"
        default: "reply"
        }
    }

    private mutating func decide(_ modifier: MessageModifier, macros: MilterMacros) async throws -> MilterVerdict {
        var logger = context.logger
        logger[metadataKey: "mail.queue_id"] = "\(macros.queueID ?? "-")"
        logger[metadataKey: "mail.from"] = "\(sender)"
        guard let parser else {
            logger.info("message passed", metadata: ["mail.rcpt_count": "\(recipients.count)", "reason": "empty policy", "verdict": "continue"])
            return .continue
        }
        self.parser = nil
        let message: MailMessage
        do {
            message = try parser.finish()
        } catch {
            return fail(.tempfail, reason: "cannot spool the message: \(error)", logger: logger)
        }
        // Mail this gateway reinjected carries a valid stamp: pass it on untouched.
        if let stamp = message.header.text(LoopGuard.headerName) {
            if let loopGuard = context.loopGuard, loopGuard.verify(stamp, messageID: message.messageID ?? "", recipients: recipients, now: Int64(Date().timeIntervalSince1970)) {
                logger.info("message passed", metadata: ["reason": "reinjected by this gateway", "verdict": "continue"])
                return .continue
            }
            logger.warning("loop-guard header not valid: removed and processed", metadata: ["mail.rcpt_count": "\(recipients.count)"])
            for occurrence in stride(from: message.header.all(LoopGuard.headerName).count, through: 1, by: -1) {
                try modifier.deleteHeader(LoopGuard.headerName, occurrence: occurrence)
            }
        }
        let facts = MessageFacts(
            message: message, size: size, sender: sender, clientAddress: clientAddress, authenticatedUser: authenticatedUser,
            daemonName: macros["{daemon_name}"]
        )
        let simulation = PolicySimulation(configuration: context.configuration, facts: facts, recipients: recipients)
        for decision in simulation.decisions where !decision.dryRunActions.isEmpty {
            logger.notice("dry run", metadata: ["rcpt": "\(decision.recipient)", "actions": "\(decision.dryRunActions.map(\.description).joined(separator: " "))"])
        }
        guard let original = simulation.groups.first else { return .continue }
        let archiveDecision = ArchiveStep.decision(simulation.decisions, defaultRetentionDays: context.configuration.archive?.retentionDays) { action in
            context.configuration.settings(forFilter: ArchiveStep.filterName).parameters.merging(action.parameters) { _, rule in rule }
        }
        let duplicateSettings = context.configuration.settings(forFilter: DuplicateStep.filterName)
        let duplicatePlan: [DuplicateStep.PlannedCopy]
        do {
            duplicatePlan = try DuplicateStep.plan(simulation.decisions, settings: context.configuration.duplicate) { action in
                duplicateSettings.parameters.merging(action.parameters) { _, rule in rule }
            }
        } catch {
            return fail(duplicateSettings.onError == .accept ? .tempfail : duplicateSettings.onError, reason: "\(error)", logger: logger)
        }
        var deliveredCopies = [(message: MailMessage, recipients: [String])]()

        // Split copies first: each group beyond the first is rewritten for its recipients and
        // written to the durable queue, held, before the MTA is answered. Any failure drops what
        // was queued and the whole message gets the failure action (nothing is half-done).
        var held = [Int64]()
        var removed = [String]()
        if simulation.groups.count > 1 {
            guard let reinjection = context.reinjection, let loopGuard = context.loopGuard else {
                return fail(context.configuration.onError == .accept ? .tempfail : context.configuration.onError, reason: "recipients need different treatment and no reinjection is configured", logger: logger)
            }
            for group in simulation.groups.dropFirst() {
                let recipientsOfGroup = group.map(\.recipient)
                let work = FilterWork(message: message, facts: facts, recipients: recipientsOfGroup, queueID: macros.queueID)
                switch await context.pipeline.run(group.first?.actions ?? [], on: work) {
                case .failed(let filter, let reason, let action):
                    await drop(held, from: reinjection.queue)
                    return fail(action, reason: "\(filter): \(reason)", logger: logger)
                case .stopped(let verdict, let filter):
                    await drop(held, from: reinjection.queue)
                    logger.info("message stopped", metadata: ["filter": "\(filter)", "verdict": "\(verdict)"])
                    return verdict
                case .deliver(let result):
                    if archiveDecision?.delivered == true { deliveredCopies.append((result.message, recipientsOfGroup)) }
                    do {
                        let stamp = loopGuard.stamp(messageID: result.message.messageID ?? "", recipients: recipientsOfGroup, now: Int64(Date().timeIntervalSince1970))
                        var bytes = Array("\(LoopGuard.headerName): \(stamp)\r\n".utf8)
                        try result.message.write { bytes.append(contentsOf: $0) }
                        let request = EnqueueRequest(
                            sender: try SMTPAddress(sender), recipients: try recipientsOfGroup.map { (address) throws in try SMTPAddress(address) },
                            message: .bytes(bytes), relay: reinjection.relay, origin: "split", originQueueID: macros.queueID, held: true
                        )
                        held.append(try await reinjection.queue.enqueue(request))
                        held += try await queueFollowUps(result.followUps, queueID: macros.queueID, logger: logger)
                        removed += recipientsOfGroup
                        logger.info("split copy queued", metadata: ["mail.rcpt": "\(recipientsOfGroup.joined(separator: ","))", "actions": "\(group.first?.actions.map(\.filter).joined(separator: ",") ?? "")"])
                    } catch {
                        await drop(held, from: reinjection.queue)
                        return fail(.tempfail, reason: "cannot queue a split copy: \(error)", logger: logger)
                    }
                }
            }
        }

        let actions = original.first?.actions ?? []
        let work = FilterWork(message: message, facts: facts, recipients: original.map(\.recipient), queueID: macros.queueID)
        switch await context.pipeline.run(actions, on: work) {
        case .failed(let filter, let reason, let action):
            if let queue = context.heldQueue { await drop(held, from: queue) }
            return fail(action, reason: "\(filter): \(reason)", logger: logger)
        case .stopped(let verdict, let filter):
            if let queue = context.heldQueue { await drop(held, from: queue) }
            logger.info("message stopped", metadata: ["filter": "\(filter)", "verdict": "\(verdict)"])
            return verdict
        case .deliver(let result):
            do {
                held += try await queueFollowUps(result.followUps, queueID: macros.queueID, logger: logger)
            } catch {
                if let queue = context.heldQueue { await drop(held, from: queue) }
                return fail(.tempfail, reason: "cannot queue follow-up mail: \(error)", logger: logger)
            }
            do {
                if result.changed { try apply(result.message, original: message, modifier: modifier) }
                for recipient in removed { try modifier.deleteRecipient("<\(recipient)>") }
            } catch {
                if let queue = context.heldQueue { await drop(held, from: queue) }
                return fail(.tempfail, reason: "cannot modify the message: \(error)", logger: logger)
            }
            // The copies for other servers, queued held before the answer.
            var duplicated = DuplicateStep.Queued()
            if !duplicatePlan.isEmpty {
                if let step = context.duplicate {
                    do {
                        duplicated = try await step.queueCopies(of: message, size: size, plan: duplicatePlan, sender: sender, queueID: macros.queueID, logger: logger)
                        held += duplicated.ids
                    } catch {
                        if duplicateSettings.onError == .accept {
                            logger.warning("copy not queued, message passed on", metadata: ["reason": "\(error)", "on_error": "accept"])
                        } else {
                            if let queue = context.heldQueue { await drop(held, from: queue) }
                            return fail(duplicateSettings.onError, reason: "duplicate: cannot queue the copy: \(error)", logger: logger)
                        }
                    }
                } else if duplicateSettings.onError != .accept {
                    if let queue = context.heldQueue { await drop(held, from: queue) }
                    return fail(duplicateSettings.onError, reason: "duplicate: not configured in this gateway", logger: logger)
                }
            }
            // The archive copies, durable before the answer: a failure is the archive's failure action.
            if let archiveDecision {
                if archiveDecision.delivered { deliveredCopies.insert((result.message, original.map(\.recipient)), at: 0) }
                if let failure = await archive(
                    received: message, delivered: deliveredCopies, decision: archiveDecision, facts: facts, direction: ArchiveStep.direction(simulation.decisions),
                    queueID: macros.queueID, logger: logger
                ) {
                    if let queue = context.heldQueue { await drop(held, from: queue) }
                    return failure
                }
            }
            logger.info(
                "message passed",
                metadata: [
                    "mail.rcpt_count": "\(recipients.count)", "mail.size": "\(size)", "actions": "\(actions.map(\.filter).joined(separator: ","))",
                    "changed": "\(result.changed)", "split": "\(held.count - duplicated.ids.count)", "copies": "\(duplicated.summaries.joined(separator: ","))",
                    "verdict": "continue",
                ]
            )
            // The held mail may go once the MTA has its answer: noted in the queue's release
            // journal at the very moment the answer is written (a process killed before that
            // has them dropped at the next start, the MTA sending the message again; one killed
            // after has the note honoured), committed once the answer is written. A note that
            // cannot be made turns the answer into tempfail; an answer that cannot be written
            // (the MTA is gone, so it keeps the message) drops them.
            if let queue = context.heldQueue, !held.isEmpty {
                let (box, duplicate, copies) = (HeldMail(held), context.duplicate, duplicated)
                heldMail = box
                modifier.onAnswer { verdict in
                    guard verdict == .continue || verdict == .accept, let ids = box.peek() else { return true }
                    return queue.noteReleased(ids)
                } afterwards: { answered in
                    guard let ids = box.take() else { return }
                    if answered == .continue || answered == .accept {
                        // Committed by the delivery service with its next lease (one
                        // transaction for the releases of every message answered meanwhile).
                        queue.releaseAnswered(ids)
                        duplicate?.countQueued(copies)
                    } else {
                        Task { for id in ids { _ = try? await queue.drop(id) } }
                    }
                }
            }
            return .continue
        }
    }

    /// Queues follow-up mail (password notices) held, like split copies: released once the MTA
    /// is answered. Without a reinjection relay there is nowhere to send it: an error, so the
    /// message gets the failure action rather than going out with no way to open it.
    private func queueFollowUps(_ mails: [FollowUpMail], queueID: String?, logger: Logger) async throws -> [Int64] {
        guard !mails.isEmpty else { return [] }
        guard let reinjection = context.reinjection else {
            throw FilterError(filter: "notice", reason: "follow-up mail needs reinjection.relay")
        }
        var ids = [Int64]()
        do {
            for mail in mails {
                let request = EnqueueRequest(
                    sender: try SMTPAddress(mail.sender), recipients: try mail.recipients.map { (address) throws in try SMTPAddress(address) },
                    message: .bytes(mail.message), relay: reinjection.relay, origin: mail.kind, originQueueID: queueID, held: true
                )
                ids.append(try await reinjection.queue.enqueue(request))
                logger.info("follow-up mail queued", metadata: ["kind": "\(mail.kind)", "mail.rcpt": "\(mail.recipients.joined(separator: ","))"])
            }
        } catch {
            await drop(ids, from: reinjection.queue)
            throw error
        }
        return ids
    }

    /// Writes the received copy (and delivered copies); returns the verdict to answer when
    /// archiving failed and the archive's `on_error` says the message must not pass.
    private func archive(
        received: MailMessage, delivered: [(message: MailMessage, recipients: [String])], decision: ArchiveStep.Decision, facts: MessageFacts,
        direction: String, queueID: String?, logger: Logger
    ) async -> MilterVerdict? {
        let settings = context.configuration.settings(forFilter: ArchiveStep.filterName)
        guard let step = context.archive else {
            return settings.onError == .accept ? nil : fail(settings.onError, reason: "archive: not configured in this gateway", logger: logger)
        }
        let (sender, recipients) = (self.sender, self.recipients)
        do {
            // Writing and fsyncing run on NIO's thread pool, not on the tasks serving sessions.
            let written = try await NIOThreadPool.singleton.runIfActive { () throws -> [String] in
                var kinds = [String]()
                if try step.archive(received, kind: .received, sender: sender, recipients: recipients, decision: decision, facts: facts, queueID: queueID, direction: direction, logger: logger) != nil {
                    kinds.append("received")
                }
                for copy in delivered {
                    if try step.archive(copy.message, kind: .delivered, sender: sender, recipients: copy.recipients, decision: decision, facts: facts, queueID: queueID, direction: direction, logger: logger) != nil {
                        kinds.append("delivered")
                    }
                }
                return kinds
            }
            for kind in written { context.metrics?.archived(kind: kind) }
            return nil
        } catch {
            context.metrics?.archived(kind: "failed")
            if settings.onError == .accept {
                logger.warning("archive failed, message passed on", metadata: ["reason": "\(error)", "on_error": "accept"])
                return nil
            }
            return fail(settings.onError, reason: "archive: \(error)", logger: logger)
        }
    }

    private func drop(_ ids: [Int64], from queue: OutboundQueue) async {
        for id in ids { _ = try? await queue.drop(id) }
    }

    /// Drops mail held for a message whose answer was never written.
    private mutating func dropUnansweredHeldMail() async {
        guard let ids = heldMail?.take(), let queue = context.heldQueue else { return }
        heldMail = nil
        await drop(ids, from: queue)
    }

    mutating func close() async {
        await dropUnansweredHeldMail()
        if sessionCounted { context.metrics?.session(opened: false) }
        sessionCounted = false
        context.metrics?.connection(opened: false)
    }

    mutating func abort(macros: MilterMacros) async {
        await dropUnansweredHeldMail()
        parser = nil
        originalBody = []
    }

    /// Header changes and, when the body differs, a body replacement.
    private func apply(_ updated: MailMessage, original: MailMessage, modifier: MessageModifier) throws {
        // With HDR_LEADSPC the MTA no longer adds the space after the colon itself.
        let space = modifier.negotiated.protocolOptions.contains(.headerLeadingSpace) ? " " : ""
        for change in HeaderDifference.changes(from: original.header, to: updated.header) {
            switch change {
            case .add(let name, let value): try modifier.addHeader(name, value: space + value)
            case .change(let name, let occurrence, let value): try modifier.changeHeader(name, occurrence: occurrence, value: space + value)
            case .delete(let name, let occurrence): try modifier.deleteHeader(name, occurrence: occurrence)
            }
        }
        // Serialised once (large bodies to a temporary file) and streamed to the MTA.
        let body = try ReplacementBody(updated, directory: context.configuration.stateDirectory, memoryLimit: Self.bodyCompareLimit)
        if let bytes = body.bytesInMemory, bytes == originalBody, originalBody.count < Self.bodyCompareLimit { return }
        if body.isEmpty {
            try modifier.replaceBody(Array("\r\n".utf8))
        } else {
            try modifier.replaceBody(streaming: body)
        }
    }

    private func fail(_ action: FailureAction, reason: String, logger: Logger) -> MilterVerdict {
        logger.error("message not processed", metadata: ["reason": "\(reason)", "verdict": "\(action.rawValue)"])
        return action.verdict
    }

    /// Bodies up to this size are kept to see whether a rewrite changed them.
    static let bodyCompareLimit = 8 << 20

    static func parserOptions(_ configuration: GatewayConfiguration) -> MIMEParserOptions {
        var options = MIMEParserOptions()
        options.spoolDirectory = configuration.stateDirectory
        return options
    }
}

/// The ids of mail held for one message, taken once: by the answer, or by an abort.
final class HeldMail: Sendable {
    private let ids: Mutex<[Int64]?>

    init(_ ids: [Int64]) {
        self.ids = Mutex(ids)
    }

    /// The ids, still there.
    func peek() -> [Int64]? { ids.withLock { $0 } }

    /// The ids, taken (`nil` when taken already).
    func take() -> [Int64]? {
        ids.withLock { ids in
            defer { ids = nil }
            return ids
        }
    }
}

import NIOCore

/// Collects the changes a filter makes at end of message, checking each one against the
/// negotiated actions and the wire limits as it is made.
///
/// A modifier is handed to ``MilterHandler/endOfMessage(_:macros:)`` only and stops accepting
/// changes once that call returns. The session sends the changes, in the order they were made,
/// together with the final reply in one write — unless the verdict rejects, tempfails or discards
/// the message, in which case the changes are dropped. All body replacement packets are sent
/// contiguously (Postfix refuses anything else), at the position of the first ``replaceBody(_:)``.
public final class MessageModifier {
    /// The options in force for this connection.
    public let negotiated: NegotiatedOptions
    private var changes: [Change] = []
    private var body: ByteBuffer?
    private var bodySource: (any ReplacementBodySource)?
    private var finished = false
    private let sendProgress: () async throws -> Void
    private var answerActions: [AnswerAction] = []

    private enum Change {
        case response(MilterResponse)
        case replacementBody
    }

    /// What the session sends: packets, and possibly one streamed body.
    enum Piece {
        case response(MilterResponse)
        case body(any ReplacementBodySource)
    }

    init(negotiated: NegotiatedOptions, sendProgress: @escaping () async throws -> Void) {
        self.negotiated = negotiated
        self.sendProgress = sendProgress
    }

    /// A commit point next to the answer (``onAnswer(_:afterwards:)``).
    struct AnswerAction: Sendable {
        var commit: @Sendable (MilterVerdict) -> Bool
        var afterwards: @Sendable (MilterVerdict?) -> Void
    }

    /// Registers a commit point that has to sit next to the answer — a note that mail held for
    /// this message may now go: a process killed between the two should have done neither or
    /// both.
    ///
    /// `commit` runs with the final verdict right before the answer is written to the MTA's
    /// connection, on the same thread, with nothing in between. It must be quick and must not
    /// block (a `write()`, not an `fsync()`). When it returns `false` (the note could not be
    /// made) the MTA is answered with tempfail instead, so it keeps the message.
    /// `afterwards` runs once the answer is written, with the verdict that was sent, or with
    /// `nil` when it could not be written (the connection is gone: the MTA keeps the message).
    public func onAnswer(_ commit: @escaping @Sendable (MilterVerdict) -> Bool, afterwards: @escaping @Sendable (MilterVerdict?) -> Void = { _ in }) {
        answerActions.append(AnswerAction(commit: commit, afterwards: afterwards))
    }

    /// The actions of ``onAnswer(_:afterwards:)``, taken once by the session.
    func takeAnswerActions() -> [AnswerAction] {
        defer { answerActions = [] }
        return answerActions
    }

    /// Appends a header at the end (`SMFIR_ADDHEADER`). Multi-line values use `\n` (or `\r\n`)
    /// between lines, each continuation starting with a space or tab. Under `SMFIP_HDR_LEADSPC`
    /// (``MilterCapabilities/headerLeadingSpace``) the MTA writes `name:` + value as given, so
    /// the value brings its own leading space (`" value"`); otherwise the MTA adds one. The
    /// same holds for ``insertHeader(_:value:at:)`` and ``changeHeader(_:occurrence:value:)``.
    /// - Throws: ``MessageModificationError`` if `SMFIF_ADDHDRS` was not negotiated or the name or
    ///   value is invalid.
    public func addHeader(_ name: String, value: String) throws(MessageModificationError) {
        try record(.addHeader(name: try Self.headerName(name), value: try Self.headerValue(value)))
    }

    /// Inserts a header at a 0-based position among all headers, the MTA's own `Received:`
    /// included, so 0 puts it above that (`SMFIR_INSHEADER`). Positions past the end append.
    public func insertHeader(_ name: String, value: String, at index: Int) throws(MessageModificationError) {
        guard let position = UInt32(exactly: index) else {
            throw MessageModificationError(.invalidIndex, "insert position \(index) must be 0 or more")
        }
        try record(.insertHeader(index: position, name: try Self.headerName(name), value: try Self.headerValue(value)))
    }

    /// Replaces the value of the `occurrence`-th (1-based) header called `name`
    /// (`SMFIR_CHGHEADER`). An occurrence past the last one adds the header.
    public func changeHeader(_ name: String, occurrence: Int = 1, value: String) throws(MessageModificationError) {
        let value = try Self.headerValue(value)
        guard !value.isEmpty else {
            throw MessageModificationError(.invalidValue, "an empty value deletes; use deleteHeader(_:occurrence:)")
        }
        try record(.changeHeader(index: try Self.occurrence(occurrence), name: try Self.headerName(name), value: value))
    }

    /// Deletes the `occurrence`-th (1-based) header called `name` (`SMFIR_CHGHEADER` with an empty
    /// value). When deleting several of one name, delete the highest occurrence first: Postfix
    /// renumbers after each deletion, Sendmail does not.
    public func deleteHeader(_ name: String, occurrence: Int = 1) throws(MessageModificationError) {
        try record(.changeHeader(index: try Self.occurrence(occurrence), name: try Self.headerName(name), value: ""))
    }

    /// Changes the envelope sender (`SMFIR_CHGFROM`), optionally with ESMTP parameters as one
    /// space-separated string (Postfix honours only RET and ENVID).
    public func changeSender(_ sender: String, parameters: String? = nil) throws(MessageModificationError) {
        try record(.changeSender(try Self.address(sender), parameters: try parameters.map(Self.parameters)))
    }

    /// Adds a recipient (`SMFIR_ADDRCPT`, or `SMFIR_ADDRCPT_PAR` when parameters are given;
    /// Postfix honours NOTIFY and ORCPT).
    public func addRecipient(_ recipient: String, parameters: String? = nil) throws(MessageModificationError) {
        let address = try Self.address(recipient)
        if let parameters {
            try record(.addRecipientWithParameters(address, parameters: try Self.parameters(parameters)))
        } else {
            try record(.addRecipient(address))
        }
    }

    /// Removes a recipient (`SMFIR_DELRCPT`), named as it was given in RCPT TO.
    public func deleteRecipient(_ recipient: String) throws(MessageModificationError) {
        try record(.deleteRecipient(try Self.address(recipient)))
    }

    /// Replaces the body (`SMFIR_REPLBODY`): the first call replaces, later calls append. The body
    /// uses CRLF line ends; it is sent in packets of at most the negotiated size (65,535).
    /// - Throws: ``MessageModificationError`` when the replacement would be empty: Postfix refuses
    ///   an empty `SMFIR_REPLBODY` packet ("no data in input packet"); use `"\r\n"` for an empty body.
    public func replaceBody(_ bytes: ByteBuffer) throws(MessageModificationError) {
        try check(.changeBody, "SMFIR_REPLBODY")
        guard bodySource == nil else {
            throw MessageModificationError(.invalidValue, "the body is already replaced from a stream")
        }
        if bytes.readableBytes == 0 {
            guard body != nil else {
                throw MessageModificationError(
                    .invalidValue,
                    "an empty replacement body cannot be sent (Postfix refuses an empty SMFIR_REPLBODY); use \"\\r\\n\""
                )
            }
            return
        }
        if body == nil {
            body = bytes
            changes.append(.replacementBody)
        } else {
            var appended = bytes
            body!.writeBuffer(&appended)
        }
    }

    /// Replaces the body with bytes read from `source` while the reply is sent: memory stays
    /// flat however large the new body is (the session writes `SMFIR_REPLBODY` packets as it
    /// reads, waiting when the MTA is slow to take them). Nothing is read when the verdict
    /// rejects, tempfails or discards. The source must yield at least one byte.
    public func replaceBody(streaming source: any ReplacementBodySource) throws(MessageModificationError) {
        try check(.changeBody, "SMFIR_REPLBODY")
        guard body == nil, bodySource == nil else {
            throw MessageModificationError(.invalidValue, "the body is already replaced")
        }
        bodySource = source
        changes.append(.replacementBody)
    }

    /// Replaces the body with these bytes; see ``replaceBody(_:)-(ByteBuffer)``.
    public func replaceBody(_ bytes: some Sequence<UInt8>) throws(MessageModificationError) {
        try replaceBody(ByteBuffer(bytes: bytes))
    }

    /// Puts the message on hold with a reason (`SMFIR_QUARANTINE`): Postfix's hold queue,
    /// Sendmail's quarantine.
    public func quarantine(reason: String) throws(MessageModificationError) {
        guard !reason.isEmpty, !reason.utf8.contains(0), !reason.utf8.contains(where: { $0 == 10 || $0 == 13 }) else {
            throw MessageModificationError(.invalidValue, "quarantine reason must be one non-empty line")
        }
        try record(.quarantine(reason: reason))
    }

    /// Tells the MTA the filter is still working (`SMFIR_PROGRESS`), sent at once. The session also
    /// sends it by itself while a slow handler runs (see ``MilterServer/Configuration``).
    public func progress() async throws {
        guard !finished else {
            throw MessageModificationError(.finished, "progress after end of message was answered")
        }
        try await sendProgress()
    }

    /// The modifications as packets, in order, body chunks contiguous.
    func finish() -> [MilterResponse] {
        finishPieces().flatMap { piece -> [MilterResponse] in
            switch piece {
            case .response(let response): return [response]
            case .body(let source):
                var responses = [MilterResponse]()
                while let chunk = try? source.nextChunk(maximumLength: negotiated.maximumPayload), chunk.readableBytes > 0 {
                    responses.append(.replaceBody(chunk))
                }
                return responses
            }
        }
    }

    /// The modifications in order; a streamed body stays a source for the session to read.
    func finishPieces() -> [Piece] {
        finished = true
        var pieces: [Piece] = []
        for change in changes {
            switch change {
            case .response(let response):
                pieces.append(.response(response))
            case .replacementBody:
                if let bodySource {
                    pieces.append(.body(bodySource))
                    continue
                }
                var rest = body ?? ByteBuffer()
                while rest.readableBytes > 0 {
                    pieces.append(.response(.replaceBody(rest.readSlice(length: min(rest.readableBytes, negotiated.maximumPayload))!)))
                }
            }
        }
        return pieces
    }

    private func record(_ response: MilterResponse) throws(MessageModificationError) {
        if let action = response.requiredAction {
            try check(action, "\(response.code)")
        }
        var probe = ByteBuffer()
        let size = probe.writeMilterResponse(response) - 5
        guard size <= negotiated.maximumPayload else {
            throw MessageModificationError(
                .tooLarge,
                "\(response.code) payload of \(size) bytes exceeds \(negotiated.maximumPayload)"
            )
        }
        changes.append(.response(response))
    }

    private func check(_ action: MilterActions, _ what: String) throws(MessageModificationError) {
        guard !finished else {
            throw MessageModificationError(.finished, "\(what) after end of message was answered")
        }
        guard negotiated.actions.contains(action) else {
            throw MessageModificationError(
                .notNegotiated,
                "\(what) needs \(action), negotiated: \(negotiated.actions)"
            )
        }
    }

    private static func headerName(_ name: String) throws(MessageModificationError) -> String {
        guard !name.isEmpty, name.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ":") }) else {
            throw MessageModificationError(.invalidName, "header name \"\(name)\" must be printable ASCII without ':' or space")
        }
        return name
    }

    /// Folded values travel with bare LF (a CR would become `\r\r\n` in Postfix).
    private static func headerValue(_ value: String) throws(MessageModificationError) -> String {
        if !value.utf8.contains(where: { $0 == 10 || $0 == 13 || $0 == 0 }) {
            return value
        }
        let text = value.replacingCRLF()
        guard !text.utf8.contains(0), !text.utf8.contains(13) else {
            throw MessageModificationError(.invalidValue, "header value contains NUL or a bare CR")
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        for line in lines.dropFirst() where !(line.first == " " || line.first == "\t") {
            throw MessageModificationError(.invalidValue, "continuation line \"\(line.prefix(40))\" must start with a space or tab")
        }
        return text
    }

    private static func occurrence(_ occurrence: Int) throws(MessageModificationError) -> UInt32 {
        guard occurrence >= 1, let index = UInt32(exactly: occurrence) else {
            throw MessageModificationError(.invalidIndex, "header occurrence \(occurrence) must be 1 or more")
        }
        return index
    }

    private static func address(_ address: String) throws(MessageModificationError) -> String {
        guard !address.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) else {
            throw MessageModificationError(.invalidValue, "address contains a control character")
        }
        return address
    }

    private static func parameters(_ parameters: String) throws(MessageModificationError) -> String {
        guard !parameters.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) else {
            throw MessageModificationError(.invalidValue, "ESMTP parameters contain a control character")
        }
        return parameters
    }
}

/// Why a ``MessageModifier`` refused a change.
public struct MessageModificationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of problem.
    public enum Kind: Hashable, Sendable {
        /// The action was not negotiated with the MTA.
        case notNegotiated
        /// A header name is empty or contains characters a header name cannot have.
        case invalidName
        /// A value contains NUL, CR or control characters, or is otherwise unusable.
        case invalidValue
        /// A header occurrence or position is out of range.
        case invalidIndex
        /// The packet would exceed the negotiated maximum size.
        case tooLarge
        /// The end of message has already been answered.
        case finished
    }

    /// The kind of problem.
    public var kind: Kind
    /// What exactly was refused.
    public var detail: String

    public init(_ kind: Kind, _ detail: String) {
        self.kind = kind
        self.detail = detail
    }

    public var description: String { "modification refused: \(detail)" }
}

/// A replacement body read in chunks while the reply is sent (see
/// ``MessageModifier/replaceBody(streaming:)``): from a spool file, say.
public protocol ReplacementBodySource: AnyObject {
    /// The next chunk of at most `maximumLength` bytes; `nil` or an empty buffer at the end.
    /// - Throws: when the body cannot be read; the session then closes the connection (the MTA
    ///   has seen part of the body and applies its own failure handling: tempfail by default).
    func nextChunk(maximumLength: Int) throws -> ByteBuffer?
}

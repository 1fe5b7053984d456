import MailMessage

/// Makes the disarmed copy of a message that is duplicated to another network (pure: no
/// sockets, no files beyond the message's own spool). See ``CopySanitizing`` for what it does
/// and in which order; every step reads and rewrites the message in a few linear passes, and
/// parts no step touches keep their bytes.
///
/// ```swift
/// var settings = CopySanitizing()
/// settings.attachments = .risky
/// settings.defangURLs = true
/// let copy = try CopySanitizer(settings).sanitize(message, mark: CopyMark(destination: "internal", queueID: "ABC123"))
/// try copy.message.write { bytes in … }   // to the internal SMTP server
/// ```
public struct CopySanitizer: Sendable {
    /// What the sanitizer does.
    public let settings: CopySanitizing

    public init(_ settings: CopySanitizing) {
        self.settings = settings
    }

    /// The sanitized copy of `message`, marked for `mark`'s destination.
    ///
    /// - Throws: ``CopySanitizerError`` when a part's content cannot be read (its spool file
    ///   failed) or a rewrite is refused; no copy should be sent then.
    public func sanitize(_ message: MailMessage, mark: CopyMark) throws(CopySanitizerError) -> SanitizedCopy {
        var copy = SanitizedCopy(message: message)
        let unsigned = settings.changesBody ? try removeSignatures(&copy) : false
        try handleEncryptedContent(&copy)
        if settings.attachments != .keep { try removeAttachments(&copy) }
        if settings.htmlToText { try convertHTMLToText(&copy) }
        if settings.stripActiveHTML { try stripActiveContent(&copy) }
        if settings.defangURLs { try defangURLs(&copy) }
        if unsigned && Self.bodyUnchanged(copy) && settings.banner == nil {
            // Nothing needed changing: the signed original goes, signature intact.
            copy.message = message
            copy.notes = copy.notes.filter { !$0.hasPrefix("signature removed") } + ["signature kept: nothing in the signed content needed changing"]
            if settings.defangURLs { Self.removeUnsubscribe(&copy.message) }
        }
        try markCopy(&copy, mark)
        return copy
    }

    /// Whether no step found anything to change in the body (an HTML part sanitized without
    /// finding anything counts as unchanged).
    static func bodyUnchanged(_ copy: SanitizedCopy) -> Bool {
        copy.removed.isEmpty && copy.htmlPartsConverted == 0 && copy.activeContentRemoved == 0 && copy.urlsDefanged == 0
    }

    /// Runs `body`, giving any error it throws the step's name.
    func attempt<Result>(_ step: CopySanitizerError.Step, _ body: () throws -> Result) throws(CopySanitizerError) -> Result {
        do {
            return try body()
        } catch let error as CopySanitizerError {
            throw error
        } catch {
            throw CopySanitizerError(step: step, reason: String(describing: error))
        }
    }

    /// Where an entity is, for notes: its IMAP part number, or `top`.
    static func place(_ located: LocatedEntity) -> String {
        located.address.isEmpty ? "top" : located.path
    }

    /// Those of `entities` outside forwarded messages that no other one of them encloses.
    static func outermost(_ entities: [LocatedEntity], includingForwarded: Bool = false) -> [LocatedEntity] {
        let candidates = includingForwarded ? entities : entities.filter { $0.insideMessage == nil }
        let addresses = Set(candidates.map(\.address))
        return candidates.filter { candidate in
            !(0..<candidate.address.count).contains { addresses.contains(Array(candidate.address.prefix($0))) }
        }
    }

    /// The body text parts of the message itself (not of forwarded messages) of `type`.
    static func bodyParts(_ message: MailMessage, _ types: Set<String>) -> [BodyPart] {
        MessageStructure(message, scanUUEncode: false).bodyParts.filter { $0.insideMessage == nil && types.contains($0.contentType) }
    }

    /// The body parts of these types of the message and of the messages forwarded in it (a
    /// link in a forwarded mail is as live as one in the mail), except those a forwarded
    /// message's signature covers (changing them is refused; the count of those comes back).
    static func bodyPartsIncludingForwarded(_ message: MailMessage, _ types: Set<String>) -> (parts: [BodyPart], signedLeft: Int) {
        let candidates = MessageStructure(message, scanUUEncode: false).bodyParts.filter { types.contains($0.contentType) }
        let parts = candidates.filter { !message.isUnderSignature($0.address) }
        return (parts, candidates.count - parts.count)
    }
}

/// Why the copy of a message could not be made.
public struct CopySanitizerError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The step that failed.
    public enum Step: String, Sendable, Hashable {
        case signature
        case encryptedContent = "encrypted-content"
        case attachments
        case htmlToText = "html-to-text"
        case activeContent = "active-content"
        case defangURLs = "defang-urls"
        case mark
    }

    /// The step that failed.
    public var step: Step
    /// What went wrong (a part that could not be read, a rewrite refused).
    public var reason: String
    public var description: String { "copy sanitizer, \(step.rawValue): \(reason)" }
}

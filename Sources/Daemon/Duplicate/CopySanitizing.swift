/// What the copy sanitizer does to a message duplicated to another network (MADAI's
/// disarming). Each option is independent; they are applied in this order:
///
/// 1. remove attachments (``attachments``, ``riskyKinds``);
/// 2. HTML → text (``htmlToText``);
/// 3. strip active and remote content from the HTML that is kept (``stripActiveHTML``);
/// 4. defang URLs (``defangURLs``);
/// 5. mark the copy: header (``markHeader``), subject prefix, banner, list of removed files.
///
/// Any option that may change the body removes a signature first (multipart/signed is
/// unwrapped to its content): a copy that is changed cannot stay signed. If nothing needed
/// changing after all, the signed original is kept.
public struct CopySanitizing: Sendable, Equatable {
    /// Which attachments go.
    public enum AttachmentRemoval: String, Sendable, CaseIterable {
        /// None.
        case keep
        /// Every file the user sent (forwarded messages too), and any risky part.
        case all
        /// The files ``RiskyAttachment`` classifies as one of ``CopySanitizing/riskyKinds``.
        case risky
    }

    /// Which attachments go.
    public var attachments: AttachmentRemoval = .keep
    /// The kinds that count as risky when ``attachments`` is ``AttachmentRemoval/risky`` (with
    /// ``AttachmentRemoval/all``, risky HTML resources such as a disguised inline image go too).
    public var riskyKinds: Set<RiskyKind> = Set(RiskyKind.allCases)
    /// Every HTML body becomes plain text (an alternative that already has plain text loses its
    /// HTML instead).
    public var htmlToText = false
    /// Scripts, event handlers, forms, frames and remote loads are removed from the HTML kept.
    public var stripActiveHTML = false
    /// `http://`, `https://`, `ftp://` and `www.` in body text become `hxxp://`, `hxxps://`,
    /// `fxp://`, host dots `[.]`; `List-Unsubscribe` goes.
    public var defangURLs = false
    /// The header field that marks the copy (replacing any that came in); `nil`: none.
    public var markHeader: String? = "X-Sekisho-Copy"
    /// Put before the Subject (`"[複製] "`); `nil`: the Subject stays.
    public var subjectPrefix: String? = nil
    /// Plain text put at the top of the body (HTML bodies get it escaped); the removed files are
    /// listed under it. `nil`: no banner.
    public var banner: String? = nil

    public init() {}

    /// Whether no option changes the message: the copy is then byte-identical to the input
    /// except for the ``markHeader`` field.
    public var leavesMessageUnchanged: Bool {
        !changesBody && subjectPrefix == nil
    }

    /// Whether some option may change the body (and so breaks a signature).
    var changesBody: Bool {
        attachments != .keep || htmlToText || stripActiveHTML || defangURLs || banner != nil
    }

    /// Whether an encrypted body, which cannot be inspected, is removed.
    var removesEncryptedContent: Bool {
        attachments == .all || (attachments == .risky && riskyKinds.contains(.encrypted))
    }
}

/// Where the copy goes and which message it is a copy of: written into the mark header.
public struct CopyMark: Sendable, Hashable {
    /// A name for the destination (`internal`, the LGWAN side).
    public var destination: String
    /// The MTA's queue ID of the original, when known.
    public var queueID: String?

    public init(destination: String, queueID: String? = nil) {
        self.destination = destination
        self.queueID = queueID
    }
}

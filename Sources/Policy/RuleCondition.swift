/// One condition of a rule. A rule matches a recipient when all its conditions hold.
public enum RuleCondition: Sendable {
    /// The envelope sender is included by the table (`!` entries exclude).
    case sender(AddressTable<Void>)
    /// The recipient is included by the table.
    case recipient(AddressTable<Void>)
    /// The direction for this recipient is one of these.
    case direction(Set<Direction>)
    /// The client address is in one of the networks (`negated`: in none of them).
    case clientNetwork([NetworkRange], negated: Bool)
    /// The client authenticated (`true`), or did not (`false`).
    case authenticated(Bool)
    /// The authenticated user is in the list (case-insensitive).
    case authenticatedUser(Set<String>)
    /// A header field named `name` has a value matching the pattern (case-insensitive).
    case header(name: String, pattern: HeaderPattern)
    /// The Subject contains one of the keywords (case-insensitive; full-width and half-width
    /// Latin letters are not folded).
    case subjectContains([String])
    /// The message size is at least / at most this many bytes.
    case sizeAtLeast(Int)
    case sizeAtMost(Int)
    /// Some attachment has one of these extensions (lower-case, no dot).
    case attachmentExtension(Set<String>)
    /// Some attachment has one of these content types (`type/subtype` or `type/*`).
    case attachmentType(Set<String>)
    /// Some attachment's name matches the pattern.
    case attachmentName(HeaderPattern)
    /// The message has at least one attachment (`true`) or none (`false`).
    case hasAttachments(Bool)

    /// Whether the condition holds for one recipient.
    func holds(_ facts: MessageFacts, recipient: String, direction: Direction) -> Bool {
        switch self {
        case .sender(let table):
            return table.contains(facts.sender)
        case .recipient(let table):
            return table.contains(recipient)
        case .direction(let allowed):
            return allowed.contains(direction)
        case .clientNetwork(let networks, let negated):
            let inside = facts.clientAddress.map { address in networks.contains { $0.contains(address) } } ?? false
            return inside != negated
        case .authenticated(let wanted):
            return (facts.authenticatedUser.map { !$0.isEmpty } ?? false) == wanted
        case .authenticatedUser(let users):
            return facts.authenticatedUser.map { users.contains($0.lowercased()) } ?? false
        case .header(let name, let pattern):
            let lowered = name.lowercased()
            return facts.headers.contains { $0.name.lowercased() == lowered && pattern.matches($0.value) }
        case .subjectContains(let keywords):
            let subject = facts.subject.lowercased()
            return keywords.contains { subject.contains($0.lowercased()) }
        case .sizeAtLeast(let bytes):
            return facts.size >= bytes
        case .sizeAtMost(let bytes):
            return facts.size <= bytes
        case .attachmentExtension(let extensions):
            return facts.attachments.contains { extensions.contains($0.fileExtension) }
        case .attachmentType(let types):
            return facts.attachments.contains { attachment in
                types.contains(attachment.contentType) || types.contains(String(attachment.contentType.prefix { $0 != "/" }) + "/*")
            }
        case .attachmentName(let pattern):
            return facts.attachments.contains { pattern.matches($0.filename) }
        case .hasAttachments(let wanted):
            return facts.attachments.isEmpty != wanted
        }
    }

    /// Whether the condition is the same for every recipient (evaluated once per message).
    var isPerMessage: Bool {
        switch self {
        case .recipient, .direction: false
        default: true
        }
    }
}

/// A case-insensitive regular expression, compiled once.
public struct HeaderPattern: @unchecked Sendable {
    /// The expression as written.
    public let source: String
    // Regex is immutable once built; matching does not mutate it.
    private let regex: Regex<AnyRegexOutput>

    /// Compiles `source`; throws with the reason when it is not a valid expression.
    public init(_ source: String) throws {
        self.source = source
        regex = try Regex(source).ignoresCase()
    }

    /// Whether the expression matches anywhere in `text`.
    public func matches(_ text: String) -> Bool {
        (try? regex.firstMatch(in: text)) != nil
    }
}

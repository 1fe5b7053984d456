/// What a server announced in its EHLO reply (RFC 5321 §4.1.1.1): one keyword per line after
/// the first, with parameters.
///
/// After HELO (the server refused EHLO) no extension is available: ``none``.
public struct SMTPCapabilities: Hashable, Sendable {
    /// Upper-cased keyword → its parameters as sent (`SIZE` → `["52428800"]`).
    public let keywords: [String: [String]]

    /// No extensions (a HELO session).
    public static let none = SMTPCapabilities(keywords: [:])

    /// Creates capabilities from keywords (for tests).
    public init(keywords: [String: [String]]) {
        var upper: [String: [String]] = [:]
        for (keyword, parameters) in keywords { upper[keyword.uppercased()] = parameters }
        self.keywords = upper
    }

    /// Parses the lines of a 250 reply to EHLO; the first line is the server's name and greeting.
    /// Old servers write `AUTH=PLAIN LOGIN`; that counts as `AUTH PLAIN LOGIN`.
    public init(ehloResponse: SMTPResponse) {
        var keywords: [String: [String]] = [:]
        for line in ehloResponse.lines.dropFirst() {
            var words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard !words.isEmpty else { continue }
            var keyword = words.removeFirst().uppercased()
            if keyword.hasPrefix("AUTH=") {
                words.insert(String(keyword.dropFirst(5)), at: 0)
                keyword = "AUTH"
            }
            guard keyword.first?.isLetter == true || keyword.first?.isNumber == true else { continue }
            keywords[keyword, default: []].append(contentsOf: words)
        }
        self.keywords = keywords
    }

    /// Whether `keyword` was announced.
    public func supports(_ keyword: String) -> Bool { keywords[keyword.uppercased()] != nil }

    /// PIPELINING (RFC 2920).
    public var pipelining: Bool { supports("PIPELINING") }
    /// 8BITMIME (RFC 6152).
    public var eightBitMIME: Bool { supports("8BITMIME") }
    /// SMTPUTF8 (RFC 6531).
    public var smtpUTF8: Bool { supports("SMTPUTF8") }
    /// STARTTLS (RFC 3207).
    public var startTLS: Bool { supports("STARTTLS") }
    /// ENHANCEDSTATUSCODES (RFC 2034).
    public var enhancedStatusCodes: Bool { supports("ENHANCEDSTATUSCODES") }
    /// SIZE (RFC 1870) was announced, with or without a limit.
    public var size: Bool { supports("SIZE") }

    /// The SIZE limit in bytes; `nil` when none was announced or it is 0 (no fixed limit).
    public var sizeLimit: Int? {
        guard let text = keywords["SIZE"]?.first, let limit = Int(text), limit > 0 else { return nil }
        return limit
    }

    /// The upper-cased SASL mechanisms after AUTH.
    public var authenticationMechanisms: Set<String> {
        Set((keywords["AUTH"] ?? []).map { $0.uppercased() })
    }
}

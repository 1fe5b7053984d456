/// One SMTP reply from the server: a three-digit code, the enhanced status code when the server
/// sent one, and the text of every line (RFC 5321 §4.2).
///
/// `250-rig.test\r\n250-PIPELINING\r\n250 8BITMIME` becomes code 250 and the lines
/// `["rig.test", "PIPELINING", "8BITMIME"]`. `550 5.1.1 <x@example.org>: rejected` becomes code
/// 550, enhanced code `5.1.1` and the line `<x@example.org>: rejected`.
public struct SMTPResponse: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The reply code, 200–599.
    public let code: Int
    /// The RFC 3463 code taken from the first line, or `nil` when the server sent none.
    public let enhancedCode: EnhancedStatusCode?
    /// The text of each line, without the code and without the enhanced code when it matched the
    /// first line's. At least one line (it may be empty).
    public let lines: [String]

    /// Creates a response (for tests and for replies the client makes up).
    public init(code: Int, enhancedCode: EnhancedStatusCode? = nil, lines: [String]) {
        self.code = code
        self.enhancedCode = enhancedCode
        self.lines = lines.isEmpty ? [""] : lines
    }

    /// Creates a one-line response.
    public init(code: Int, enhancedCode: EnhancedStatusCode? = nil, _ text: String) {
        self.init(code: code, enhancedCode: enhancedCode, lines: [text])
    }

    /// What the first digit says.
    public enum Category: Hashable, Sendable {
        /// 2xx: the command succeeded.
        case positiveCompletion
        /// 3xx: send more (354 after DATA, 334 during AUTH).
        case positiveIntermediate
        /// 4xx: try again later.
        case transientNegative
        /// 5xx: do not try again.
        case permanentNegative
    }

    /// The category of ``code``.
    public var category: Category {
        switch code / 100 {
        case 2: .positiveCompletion
        case 3: .positiveIntermediate
        case 4: .transientNegative
        default: .permanentNegative
        }
    }

    /// 2xx.
    public var isPositiveCompletion: Bool { category == .positiveCompletion }
    /// 4xx.
    public var isTransientFailure: Bool { category == .transientNegative }
    /// 5xx.
    public var isPermanentFailure: Bool { category == .permanentNegative }

    /// The lines joined by a space: `rejected by policy (see https://…)`. Control characters are
    /// replaced (see ``SMTPResponseParser``), also in a response made up by hand.
    public var text: String { lines.map(\.withoutControlCharacters).joined(separator: " ") }

    /// `550 5.1.1 <x@example.org>: rejected`; several lines are joined with ` / `; control
    /// characters are replaced.
    public var description: String {
        var out = String(code)
        if let enhancedCode { out += " \(enhancedCode)" }
        let joined = lines.map(\.withoutControlCharacters).joined(separator: " / ")
        if !joined.isEmpty { out += " " + joined }
        return out
    }
}

extension String {
    /// The text with a tab as a space and every other control character (below U+0020, and DEL)
    /// as `?`: safe to put in one line of a log, a listing or a report header.
    var withoutControlCharacters: String {
        guard unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else { return self }
        var out = String.UnicodeScalarView()
        for scalar in unicodeScalars {
            if scalar == "\t" {
                out.append(" ")
            } else if scalar.value < 0x20 || scalar.value == 0x7F {
                out.append("?")
            } else {
                out.append(scalar)
            }
        }
        return String(out)
    }
}

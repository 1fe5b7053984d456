/// A custom SMTP reply a filter sends with `SMFIR_REPLYCODE`: a 4xx or 5xx code, an optional
/// enhanced status code and one or more lines of text.
///
/// The initialisers validate the reply the way Postfix 3.12 validates `SMFIR_REPLYCODE` (every
/// line `[45]dd[ -]`, enhanced code class equal to the reply class) and libmilter's limits
/// (at most 32 lines of at most 980 bytes). ``wireText`` doubles `%`, because Sendmail treats the
/// text as a format string and Postfix un-doubles it.
public struct SMTPReply: Hashable, Sendable, CustomStringConvertible {
    /// The three-digit reply code, 400–599.
    public let code: Int
    /// The RFC 3463 enhanced status code (`5.7.1`), or `nil` for none.
    public let enhancedCode: String?
    /// The text lines, without codes; at least one (it may be empty).
    public let lines: [String]

    /// libmilter's limit on the number of lines (`smfi_setmlreply`).
    public static let maximumLines = 32
    /// libmilter's limit on one line of text (MAXREPLYLEN).
    public static let maximumLineLength = 980

    /// Creates a validated reply.
    /// - Throws: ``SMTPReplyError`` when the code is not 4xx/5xx, the enhanced code is malformed or
    ///   of another class, a line contains CR, LF, NUL or another control character, or the limits
    ///   on line count or length are exceeded.
    public init(code: Int, enhancedCode: String? = nil, lines: [String]) throws(SMTPReplyError) {
        guard (400...599).contains(code) else {
            throw SMTPReplyError("reply code \(code) is not 4xx or 5xx")
        }
        if let enhancedCode {
            try Self.validateEnhancedCode(enhancedCode, replyClass: code / 100)
        }
        guard !lines.isEmpty else { throw SMTPReplyError("a reply needs at least one line") }
        guard lines.count <= Self.maximumLines else {
            throw SMTPReplyError("\(lines.count) lines exceed the limit of \(Self.maximumLines)")
        }
        for line in lines {
            guard line.utf8.count <= Self.maximumLineLength else {
                throw SMTPReplyError("a line of \(line.utf8.count) bytes exceeds \(Self.maximumLineLength)")
            }
            if let bad = line.unicodeScalars.first(where: { ($0.value < 0x20 && $0 != "\t") || $0.value == 0x7F }) {
                throw SMTPReplyError("reply text contains control character U+\(String(bad.value, radix: 16))")
            }
        }
        self.code = code
        self.enhancedCode = enhancedCode
        self.lines = lines
    }

    /// Creates a reply whose text may hold several lines separated by `\n` (or `\r\n`).
    public init(code: Int, enhancedCode: String? = nil, _ text: String) throws(SMTPReplyError) {
        let lines = text.replacingCRLF().split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        try self.init(code: code, enhancedCode: enhancedCode, lines: lines)
    }

    /// Parses `"550 5.7.1 rejected by example"`, or a multi-line reply as it travels in
    /// `SMFIR_REPLYCODE` (`550-5.7.1 a\r\n550 5.7.1 b`, with `%%` for `%`).
    /// - Throws: ``SMTPReplyError`` when a line does not start with the same code, or continuation
    ///   markers are wrong, or the result is invalid as described in ``init(code:enhancedCode:lines:)``.
    public init(parsing text: String) throws(SMTPReplyError) {
        let rawLines = text.replacingCRLF().split(separator: "\n", omittingEmptySubsequences: false)
        var code: Int?
        var enhanced: String?
        var lines: [String] = []
        for (number, raw) in rawLines.enumerated() {
            let bytes = Array(raw.utf8)
            guard bytes.count >= 3, bytes[0...2].allSatisfy({ $0 >= 48 && $0 <= 57 }),
                let lineCode = Int(String(decoding: bytes[0...2], as: UTF8.self))
            else {
                throw SMTPReplyError("line \(number + 1) does not start with a three-digit code")
            }
            if let code, code != lineCode {
                throw SMTPReplyError("line \(number + 1) has code \(lineCode), the first line \(code)")
            }
            code = lineCode
            let isLast = number == rawLines.count - 1
            var rest = Substring(raw.dropFirst(3))
            if let separator = rest.first {
                guard separator == (isLast ? " " : "-") else {
                    throw SMTPReplyError(
                        isLast ? "the last line must use a space after the code" : "line \(number + 1) must use '-' after the code"
                    )
                }
                rest = rest.dropFirst()
            } else if !isLast {
                throw SMTPReplyError("line \(number + 1) must use '-' after the code")
            }
            let (lineEnhanced, textPart) = Self.splitEnhancedCode(rest)
            if number == 0 {
                enhanced = lineEnhanced
            }
            lines.append(
                (enhanced != nil && lineEnhanced == enhanced ? String(textPart) : String(rest))
                    .replacingOccurrences(of: "%%", with: "%")
            )
        }
        guard let code else { throw SMTPReplyError("empty reply") }
        try self.init(code: code, enhancedCode: enhanced, lines: lines)
    }

    /// Convenience for literals: `try SMTPReply("550 5.7.1 rejected by example")`.
    public init(_ text: String) throws(SMTPReplyError) {
        try self.init(parsing: text)
    }

    /// Whether this is a temporary (4xx) reply: sent as tempfail; 5xx is a reject.
    public var isTemporary: Bool { code < 500 }

    /// The enhanced code sent on the wire: the given one, else `x.0.0` of the reply's class (as
    /// libmilter's `smfi_setmlreply` does). Postfix before 3.12 refuses a reply whose fifth
    /// character is not the reply class digit, so a reply always carries one.
    public var wireEnhancedCode: String {
        enhancedCode ?? "\(code / 100).0.0"
    }

    /// The text for `SMFIR_REPLYCODE`: every line `code[-| ]enhanced text`, joined by CRLF,
    /// `%` doubled. (The NUL terminator is added by the encoder.)
    public var wireText: String {
        var out = ""
        let enhanced = wireEnhancedCode
        for (number, line) in lines.enumerated() {
            if number > 0 { out += "\r\n" }
            out += String(code)
            out += number == lines.count - 1 ? " " : "-"
            out += enhanced
            out += " "
            out += line.replacingOccurrences(of: "%", with: "%%")
        }
        return out
    }

    /// Why Postfix would refuse this `SMFIR_REPLYCODE` text, or `nil` when it accepts it: every
    /// line `[45]dd` then `-` (all but the last) or a space (the last), then an enhanced code whose
    /// class digit is the reply's (`milter8.c`; 3.12 checks every line, older releases the first).
    public static func postfixRefusal(_ text: String) -> String? {
        let lines = text.replacingCRLF().split(separator: "\n", omittingEmptySubsequences: false)
        for (number, line) in lines.enumerated() {
            let bytes = Array(line.utf8)
            guard bytes.count >= 5, bytes[0] == UInt8(ascii: "4") || bytes[0] == UInt8(ascii: "5"),
                bytes[1...2].allSatisfy({ $0 >= 48 && $0 <= 57 })
            else {
                return "line \(number + 1) does not start with a 4xx/5xx code"
            }
            guard bytes[3] == (number == lines.count - 1 ? UInt8(ascii: " ") : UInt8(ascii: "-")) else {
                return "line \(number + 1) has the wrong continuation mark"
            }
            guard bytes[4] == bytes[0] else {
                return "line \(number + 1) has no enhanced status code of the reply's class"
            }
        }
        return nil
    }

    /// The reply as an SMTP client would read it, lines joined by `\n`, `%` not doubled.
    public var description: String {
        lines.enumerated().map { number, line in
            "\(code)\(number == lines.count - 1 ? " " : "-")\(wireEnhancedCode) \(line)"
        }.joined(separator: "\n")
    }

    private static func validateEnhancedCode(_ code: String, replyClass: Int) throws(SMTPReplyError) {
        let parts = code.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3,
            parts[0].count == 1, parts[1].count >= 1, parts[1].count <= 3, parts[2].count >= 1, parts[2].count <= 3,
            parts.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } })
        else {
            throw SMTPReplyError("enhanced status code \"\(code)\" is not of the form c.ddd.ddd")
        }
        guard Int(parts[0]) == replyClass else {
            throw SMTPReplyError("enhanced status code \(code) does not match reply class \(replyClass)xx")
        }
    }

    private static func splitEnhancedCode(_ text: Substring) -> (String?, Substring) {
        let token = text.prefix { $0 != " " }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 1, ["2", "4", "5"].contains(parts[0]),
            (1...3).contains(parts[1].count), (1...3).contains(parts[2].count),
            parts.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } })
        else {
            return (nil, text)
        }
        return (String(token), text.dropFirst(token.count).drop { $0 == " " })
    }
}

/// Why an ``SMTPReply`` was refused.
public struct SMTPReplyError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What is wrong with the reply.
    public var reason: String

    public init(_ reason: String) {
        self.reason = reason
    }

    public var description: String { "invalid SMTP reply: \(reason)" }
}

extension StringProtocol {
    func replacingCRLF() -> String {
        String(self).replacingOccurrences(of: "\r\n", with: "\n")
    }

    func replacingOccurrences(of target: String, with replacement: String) -> String {
        guard !target.isEmpty, self.contains(target) else { return String(self) }
        var result = ""
        var rest = Substring(self)
        while let range = rest.firstRange(of: target) {
            result += rest[rest.startIndex..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        result += rest
        return result
    }
}

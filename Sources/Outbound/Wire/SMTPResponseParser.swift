import NIOCore

/// Reassembles SMTP replies from the bytes a server sends, line by line, with limits.
///
/// Pure and incremental: feed it whatever arrived and it returns each complete reply once its last
/// line (`250 …`, code followed by a space or nothing) is in. Lines end in CRLF; a bare LF is
/// accepted too. Every line of a reply must carry the same code; a line that does not start with
/// three digits, or a reply longer than the limits, is a ``SMTPResponseError``. Control characters
/// in a line's text (a bare CR, NUL, ESC, DEL…) are replaced, so no reply text can inject lines or
/// fields where it is shown (logs, `queue list`, delivery reports).
public struct SMTPResponseParser: Sendable {
    /// The longest line accepted, without its line end (RFC 5321 allows 512; servers send more).
    public let maximumLineLength: Int
    /// The most lines one reply may have.
    public let maximumLines: Int

    private var code: Int?
    private var rawLines: [String] = []

    /// Creates a parser with the given limits.
    public init(maximumLineLength: Int = 4096, maximumLines: Int = 512) {
        self.maximumLineLength = maximumLineLength
        self.maximumLines = maximumLines
    }

    /// Consumes complete lines from `buffer` until a reply is complete, and returns it; returns
    /// `nil` (leaving a partial line in `buffer`) when more bytes are needed.
    /// - Throws: ``SMTPResponseError`` for a malformed line, mixed codes, or a limit exceeded.
    public mutating func parse(_ buffer: inout ByteBuffer) throws(SMTPResponseError) -> SMTPResponse? {
        while true {
            let view = buffer.readableBytesView
            guard let newline = view.firstIndex(of: UInt8(ascii: "\n")) else {
                if view.count > maximumLineLength + 1 {
                    throw SMTPResponseError(.lineTooLong, "a reply line is longer than \(maximumLineLength) bytes")
                }
                return nil
            }
            var end = newline
            if end > view.startIndex, view[end - 1] == UInt8(ascii: "\r") { end -= 1 }
            let line = Array(view[view.startIndex..<end])
            buffer.moveReaderIndex(to: newline + 1)
            if let response = try accept(line: line) { return response }
        }
    }

    private mutating func accept(line: [UInt8]) throws(SMTPResponseError) -> SMTPResponse? {
        guard line.count <= maximumLineLength else {
            throw SMTPResponseError(.lineTooLong, "a reply line is longer than \(maximumLineLength) bytes")
        }
        guard line.count >= 3,
            (UInt8(ascii: "2")...UInt8(ascii: "5")).contains(line[0]),
            line[1...2].allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) })
        else {
            throw SMTPResponseError(.malformedLine, "not a reply line: \(Self.printable(line))")
        }
        let lineCode = Int(line[0] - 48) * 100 + Int(line[1] - 48) * 10 + Int(line[2] - 48)
        if let code, code != lineCode {
            throw SMTPResponseError(.inconsistentCodes, "reply line with code \(lineCode) continues a \(code) reply")
        }
        code = lineCode
        let isLast: Bool
        if line.count == 3 {
            isLast = true
        } else if line[3] == UInt8(ascii: " ") {
            isLast = true
        } else if line[3] == UInt8(ascii: "-") {
            isLast = false
        } else {
            throw SMTPResponseError(.malformedLine, "no space or '-' after the code: \(Self.printable(line))")
        }
        rawLines.append(line.count > 4 ? Self.text(of: line[4...]) : "")
        guard rawLines.count <= maximumLines else {
            throw SMTPResponseError(.tooManyLines, "a reply has more than \(maximumLines) lines")
        }
        guard isLast else { return nil }
        defer {
            code = nil
            rawLines = []
        }
        return Self.makeResponse(code: lineCode, rawLines: rawLines)
    }

    /// Splits the enhanced code off the first line and off every later line that repeats it.
    static func makeResponse(code: Int, rawLines: [String]) -> SMTPResponse {
        let enhanced = rawLines.first.flatMap { enhancedPrefix(of: $0, replyClass: code / 100) }
        guard let enhanced else { return SMTPResponse(code: code, lines: rawLines) }
        let lines = rawLines.map { line -> String in
            guard let found = enhancedPrefix(of: line, replyClass: code / 100), found.code == enhanced.code else {
                return line
            }
            return String(line.dropFirst(found.length))
        }
        return SMTPResponse(code: code, enhancedCode: enhanced.code, lines: lines)
    }

    /// `5.1.1 text` → (5.1.1, 6): the code when its class matches the reply's, and how many
    /// characters (code plus following space) to drop.
    private static func enhancedPrefix(of line: String, replyClass: Int) -> (code: EnhancedStatusCode, length: Int)? {
        let token = line.prefix { $0 != " " }
        guard let code = EnhancedStatusCode(token), code.statusClass == replyClass else { return nil }
        return (code, token.count + (token.count < line.count ? 1 : 0))
    }

    /// A line's text with control characters replaced: a server's text ends up in logs, in
    /// `queue list` and in delivery reports, where a bare CR or another control character could
    /// start a new line or header field. A tab becomes a space, every other byte below 0x20 and
    /// DEL becomes `?`.
    static func text(of bytes: ArraySlice<UInt8>) -> String {
        guard bytes.contains(where: { $0 < 0x20 || $0 == 0x7F }) else { return String(decoding: bytes, as: UTF8.self) }
        let cleaned = bytes.map { byte -> UInt8 in
            if byte == UInt8(ascii: "\t") { return UInt8(ascii: " ") }
            return byte < 0x20 || byte == 0x7F ? UInt8(ascii: "?") : byte
        }
        return String(decoding: cleaned, as: UTF8.self)
    }

    private static func printable(_ line: [UInt8]) -> String {
        let shown = line.prefix(60).map { (32...126).contains($0) ? Character(UnicodeScalar($0)) : "?" }
        return "\"" + String(shown) + (line.count > 60 ? "…" : "") + "\""
    }
}

/// A reply the server sent could not be parsed; the session cannot go on (thrown by
/// ``SMTPResponseParser/parse(_:)``).
public struct SMTPResponseError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What was wrong.
    public enum Reason: Hashable, Sendable {
        /// A line does not start with a three-digit code 200–599 followed by space, `-` or nothing.
        case malformedLine
        /// A continuation line has another code than the first line.
        case inconsistentCodes
        /// A line exceeds ``SMTPResponseParser/maximumLineLength``.
        case lineTooLong
        /// A reply exceeds ``SMTPResponseParser/maximumLines``.
        case tooManyLines
    }

    /// What was wrong.
    public let reason: Reason
    /// A readable explanation (never the whole line: it is cut at 60 bytes).
    public let detail: String

    init(_ reason: Reason, _ detail: String) {
        self.reason = reason
        self.detail = detail
    }

    public var description: String { "malformed SMTP reply: \(detail)" }
}

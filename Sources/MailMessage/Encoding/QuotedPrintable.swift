/// Quoted-printable (RFC 2045 §6.7), decoded incrementally and leniently: soft line breaks (even
/// inside a multibyte character), `=XX` in either case, trailing whitespace on a line removed;
/// a malformed `=` sequence is kept as written.
public struct QuotedPrintableDecoder: Sendable {
    private var carry: [UInt8] = []

    public init() {}

    /// Decodes the next piece; an incomplete last line is held until more arrives (only the
    /// new bytes are searched for its end, so a long line costs linear time).
    public mutating func decode(_ input: some Collection<UInt8>, into output: inout [UInt8]) {
        let before = carry.count
        carry.append(contentsOf: input)
        guard let lastNewline = carry[before...].lastIndex(of: 0x0A) else { return }
        Self.decodeLines(carry[...lastNewline], final: false, into: &output)
        carry.removeSubrange(...lastNewline)
    }

    /// Ends the input.
    public mutating func finish(into output: inout [UInt8]) {
        Self.decodeLines(carry[...], final: true, into: &output)
        carry.removeAll()
    }

    /// Decodes a whole value at once.
    public static func decode(_ input: some Collection<UInt8>) -> [UInt8] {
        var output = [UInt8]()
        decodeLines(ArraySlice(input), final: true, into: &output)
        return output
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: return byte - 0x30
        case 0x41...0x46: return byte - 0x41 + 10
        case 0x61...0x66: return byte - 0x61 + 10
        default: return nil
        }
    }

    private static func decodeLines(_ input: ArraySlice<UInt8>, final: Bool, into output: inout [UInt8]) {
        output.reserveCapacity(output.count + input.count)
        var lineStart = input.startIndex
        while lineStart < input.endIndex {
            let newline = input[lineStart...].firstIndex(of: 0x0A)
            var contentEnd = newline ?? input.endIndex
            let hasBreak = newline != nil
            if hasBreak, contentEnd > lineStart, input[contentEnd - 1] == 0x0D { contentEnd -= 1 }
            // Trailing whitespace is not part of the content (RFC 2045 rule 3).
            var trimmedEnd = contentEnd
            while trimmedEnd > lineStart, input[trimmedEnd - 1] == 0x20 || input[trimmedEnd - 1] == 0x09 { trimmedEnd -= 1 }
            var soft = false
            var index = lineStart
            while index < trimmedEnd {
                let byte = input[index]
                if byte == UInt8(ascii: "=") {
                    if index + 1 == trimmedEnd {
                        soft = true
                        index += 1
                        continue
                    }
                    if index + 2 < trimmedEnd, let high = hexValue(input[index + 1]), let low = hexValue(input[index + 2])
                    {
                        output.append(high << 4 | low)
                        index += 3
                        continue
                    }
                }
                output.append(byte)
                index += 1
            }
            if hasBreak && !soft {
                output.append(0x0D)
                output.append(0x0A)
            } else if !hasBreak && !soft && trimmedEnd < contentEnd && !final {
                output.append(contentsOf: input[trimmedEnd..<contentEnd])
            }
            lineStart = (newline.map { $0 + 1 }) ?? input.endIndex
        }
    }
}

/// Quoted-printable encoding for text with lines no longer than 76 characters; line breaks in
/// the input (LF or CRLF) become CRLF hard breaks.
public enum QuotedPrintableEncoder {
    private static let hex = Array("0123456789ABCDEF".utf8)

    /// Encodes `input` as quoted-printable.
    public static func encode(_ input: some Collection<UInt8>) -> [UInt8] {
        var output = [UInt8]()
        var column = 0
        let bytes = Array(input)
        output.reserveCapacity(bytes.count + bytes.count / 4)
        var index = 0
        func softBreakIfNeeded(_ width: Int) {
            if column + width > 75 {
                output.append(contentsOf: [UInt8(ascii: "="), 13, 10])
                column = 0
            }
        }
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0x0A || (byte == 0x0D && index + 1 < bytes.count && bytes[index + 1] == 0x0A) {
                output.append(contentsOf: [13, 10])
                column = 0
                index += byte == 0x0D ? 2 : 1
                continue
            }
            let nextIsBreak = index + 1 == bytes.count || bytes[index + 1] == 0x0A || bytes[index + 1] == 0x0D
            let literal = (byte >= 33 && byte <= 126 && byte != UInt8(ascii: "=")) || ((byte == 0x20 || byte == 0x09) && !nextIsBreak)
            if literal {
                softBreakIfNeeded(1)
                output.append(byte)
                column += 1
            } else {
                softBreakIfNeeded(3)
                output.append(UInt8(ascii: "="))
                output.append(hex[Int(byte >> 4)])
                output.append(hex[Int(byte & 15)])
                column += 3
            }
            index += 1
        }
        return output
    }
}

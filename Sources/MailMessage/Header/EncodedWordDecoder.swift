/// RFC 2047 encoded words (`=?charset?B|Q?text?=`) decoded leniently, as mail clients do.
///
/// Adjacent encoded words of the same charset are joined as bytes *before* the charset is
/// decoded, so a character split across two words (p60 in the corpus) survives; whitespace
/// between encoded words is dropped; words directly glued to each other or to text are accepted;
/// text outside words that carries raw 8-bit bytes is read as UTF-8, else CP932.
public enum EncodedWordDecoder {
    /// What decoding noticed, for warnings.
    public struct Notes: Hashable, Sendable {
        /// At least one encoded word was decoded.
        public var containedEncodedWords = false
        /// A character was split across adjacent encoded words.
        public var splitCharacter = false
        /// Raw 8-bit bytes outside encoded words.
        public var raw8bit = false
        /// Raw 8-bit bytes that were not UTF-8 (read as CP932).
        public var rawNotUTF8 = false
        /// Charset decoding notes (unknown labels, vendor superset).
        public var text = TextDecoder.Notes()

        public init() {}
    }

    private enum Segment {
        case text(ArraySlice<UInt8>)
        case word(charset: String, bytes: [UInt8])
    }

    /// Decodes a header value (unfolded bytes).
    public static func decode(_ value: some Collection<UInt8>) -> String {
        var notes = Notes()
        return decode(value, notes: &notes)
    }

    /// Decodes a header value, recording what it noticed.
    public static func decode(_ value: some Collection<UInt8>, notes: inout Notes) -> String {
        let bytes = Array(value)
        guard bytes.contains(UInt8(ascii: "?")) || bytes.contains(where: { $0 >= 0x80 }) else {
            return String(decoding: bytes, as: UTF8.self)
        }
        let segments = split(bytes)
        var output = ""
        var index = 0
        while index < segments.count {
            switch segments[index] {
            case .text(let text):
                // Whitespace between two encoded words is not part of the text.
                let isGap = text.allSatisfy { $0 == 0x20 || $0 == 0x09 }
                let betweenWords = index > 0 && index + 1 < segments.count && isWord(segments[index - 1]) && isWord(segments[index + 1])
                if !(isGap && betweenWords) {
                    if text.contains(where: { $0 >= 0x80 }) {
                        notes.raw8bit = true
                        var textNotes = TextDecoder.Notes()
                        output += TextDecoder.decodeRaw(text, notes: &textNotes)
                        if textNotes.readAsCP932 || String(validating: Array(text), as: UTF8.self) == nil { notes.rawNotUTF8 = true }
                    } else {
                        output += String(decoding: text, as: UTF8.self)
                    }
                }
                index += 1
            case .word(let charset, let first):
                notes.containedEncodedWords = true
                var joined = first
                var pieces = [first]
                var next = index + 1
                // Join following words of the same charset (skipping whitespace gaps).
                while next < segments.count {
                    if case .text(let gap) = segments[next], gap.allSatisfy({ $0 == 0x20 || $0 == 0x09 }),
                        next + 1 < segments.count, case .word(let nextCharset, let nextBytes) = segments[next + 1],
                        sameCharset(nextCharset, charset)
                    {
                        joined += nextBytes
                        pieces.append(nextBytes)
                        next += 2
                    } else if case .word(let nextCharset, let nextBytes) = segments[next], sameCharset(nextCharset, charset) {
                        joined += nextBytes
                        pieces.append(nextBytes)
                        next += 1
                    } else {
                        break
                    }
                }
                let mimeCharset = MIMECharset(label: baseCharset(charset))
                if pieces.count > 1, splitsCharacter(pieces, charset: mimeCharset) { notes.splitCharacter = true }
                output += TextDecoder.decode(joined, charset: mimeCharset, notes: &notes.text)
                index = next
            }
        }
        return output
    }

    private static func isWord(_ segment: Segment) -> Bool {
        if case .word = segment { return true }
        return false
    }

    /// `ISO-2022-JP*ja` → `ISO-2022-JP` (RFC 2231 §5 language suffix).
    private static func baseCharset(_ charset: String) -> String {
        charset.split(separator: "*", maxSplits: 1).first.map(String.init) ?? charset
    }

    private static func sameCharset(_ a: String, _ b: String) -> Bool {
        baseCharset(a).lowercased() == baseCharset(b).lowercased()
    }

    /// Whether decoding the pieces one by one would break a character that decoding them
    /// joined keeps whole.
    private static func splitsCharacter(_ pieces: [[UInt8]], charset: MIMECharset) -> Bool {
        switch charset.converter {
        case .utf8:
            return pieces.contains { String(validating: $0, as: UTF8.self) == nil }
        case .iconv(let name):
            return pieces.contains { (Iconv.decodeToUTF8($0, from: name)?.invalidSequences ?? 0) > 0 }
        case .iso2022JP:
            return pieces.dropLast().contains { piece in
                // A piece that ends inside ESC $ B with an odd number of bytes since the escape.
                guard let escape = piece.lastIndex(of: 0x1B) else { return false }
                let tail = piece[escape...]
                return tail.starts(with: [0x1B, 0x24, 0x42]) && (tail.count - 3) % 2 == 1
            }
        default:
            return false
        }
    }

    private static func split(_ bytes: [UInt8]) -> [Segment] {
        var segments = [Segment]()
        var textStart = 0
        var index = 0
        // Where the next `?=` and the next space start, from each position: every candidate word
        // is then checked in constant time, so hostile values cannot make this quadratic.
        let ends = NextPositions(bytes)
        while index + 1 < bytes.count {
            if bytes[index] == UInt8(ascii: "="), bytes[index + 1] == UInt8(ascii: "?"), let (charset, decoded, end) = parseWord(bytes, at: index, ends: ends) {
                if textStart < index { segments.append(.text(bytes[textStart..<index])) }
                segments.append(.word(charset: charset, bytes: decoded))
                index = end
                textStart = end
                continue
            }
            index += 1
        }
        if textStart < bytes.count { segments.append(.text(bytes[textStart...])) }
        return segments
    }

    /// For every position, the next `?=` and the next space or tab at or after it.
    private struct NextPositions {
        let close: [Int32]
        let space: [Int32]

        init(_ bytes: [UInt8]) {
            let count = bytes.count
            var close = [Int32](repeating: Int32(count), count: count + 1)
            var space = [Int32](repeating: Int32(count), count: count + 1)
            var index = count - 1
            while index >= 0 {
                close[index] = index + 1 < count && bytes[index] == UInt8(ascii: "?") && bytes[index + 1] == UInt8(ascii: "=") ? Int32(index) : close[index + 1]
                space[index] = bytes[index] == 0x20 || bytes[index] == 0x09 ? Int32(index) : space[index + 1]
                index -= 1
            }
            self.close = close
            self.space = space
        }
    }

    /// Parses `=?charset?E?text?=` at `start`; returns the charset, decoded bytes and end index.
    private static func parseWord(_ bytes: [UInt8], at start: Int, ends: NextPositions) -> (String, [UInt8], Int)? {
        var index = start + 2
        let charsetStart = index
        while index < bytes.count, bytes[index] != UInt8(ascii: "?") {
            let byte = bytes[index]
            if byte <= 0x20 || byte >= 0x7F || index - charsetStart > 75 { return nil }
            index += 1
        }
        guard index + 3 < bytes.count, index > charsetStart else { return nil }
        let charset = String(decoding: bytes[charsetStart..<index], as: UTF8.self)
        let encoding = bytes[index + 1] | 0x20
        guard encoding == UInt8(ascii: "b") || encoding == UInt8(ascii: "q"), bytes[index + 2] == UInt8(ascii: "?") else { return nil }
        let textStart = index + 3
        let end = Int(ends.close[textStart])
        guard end + 1 < bytes.count, Int(ends.space[textStart]) > end else { return nil }
        let text = bytes[textStart..<end]
        let decoded: [UInt8]
        if encoding == UInt8(ascii: "b") {
            decoded = Base64Decoder.decode(text)
        } else {
            decoded = decodeQ(text)
        }
        return (charset, decoded, end + 2)
    }

    private static func decodeQ(_ text: ArraySlice<UInt8>) -> [UInt8] {
        var output = [UInt8]()
        output.reserveCapacity(text.count)
        var index = text.startIndex
        while index < text.endIndex {
            let byte = text[index]
            if byte == UInt8(ascii: "_") {
                output.append(0x20)
            } else if byte == UInt8(ascii: "="), index + 2 < text.endIndex,
                let high = hex(text[index + 1]), let low = hex(text[index + 2])
            {
                output.append(high << 4 | low)
                index += 3
                continue
            } else {
                output.append(byte)
            }
            index += 1
        }
        return output
    }

    static func hex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x41 + 10
        case 0x61...0x66: byte - 0x61 + 10
        default: nil
        }
    }
}

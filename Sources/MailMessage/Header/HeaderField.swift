/// One header field exactly as written — name, colon, value, folding and line break — with its
/// unfolded value.
///
/// Fields parsed from a message keep their raw bytes, so a message serialises byte-identical;
/// fields made by ``init(name:value:encoding:)`` are generated with CRLF and folded at 76 columns.
public struct HeaderField: Sendable, Hashable {
    /// The field name as written (compare with ``hasName(_:)``, names are case-insensitive).
    public let name: String
    /// The complete field: name, colon, value with its folding, and the final line break.
    public let raw: [UInt8]
    /// The value unfolded (line breaks of folds removed), leading and trailing whitespace trimmed.
    public let value: [UInt8]

    /// A field from its raw lines (as the header parser found them).
    init(raw: [UInt8]) {
        self.raw = raw
        if let colon = raw.firstIndex(of: UInt8(ascii: ":")) {
            var nameEnd = colon
            while nameEnd > 0, raw[nameEnd - 1] == 0x20 || raw[nameEnd - 1] == 0x09 { nameEnd -= 1 }
            name = String(decoding: raw[..<nameEnd], as: UTF8.self)
            value = Self.unfold(raw[(colon + 1)...])
        } else {
            name = ""
            value = Self.unfold(raw[...])
        }
    }

    /// A field with a raw (already encoded, ASCII or RFC 6532 UTF-8) value; long values are folded
    /// at whitespace. CRLF and other control characters in `value` are replaced by spaces, so a
    /// value can never inject a header.
    public init(name: String, rawValue: String) {
        let cleanName = String(name.unicodeScalars.filter { $0.value > 32 && $0.value < 127 && $0 != ":" })
        let cleanValue = String(rawValue.unicodeScalars.map { $0.value < 32 || $0.value == 127 ? " " : Character($0) })
        self.init(raw: HeaderFolder.fold(name: cleanName, words: [Array(cleanValue.utf8)], separator: [0x20]))
    }

    /// A field whose text value is RFC 2047-encoded when it is not plain ASCII, in `encoding`,
    /// folded at 76 columns.
    public init(name: String, value: String, encoding: HeaderTextEncoding = .utf8) {
        let cleanName = String(name.unicodeScalars.filter { $0.value > 32 && $0.value < 127 && $0 != ":" })
        self.init(raw: EncodedWordEncoder.field(name: cleanName, text: value, encoding: encoding))
    }

    /// Whether the field is named `other` (ASCII case-insensitive).
    public func hasName(_ other: String) -> Bool {
        guard name.utf8.count == other.utf8.count else { return false }
        for (a, b) in zip(name.utf8, other.utf8) where a != b {
            // ASCII letters differ only in bit 0x20.
            guard a | 0x20 == b | 0x20, (0x61...0x7A).contains(a | 0x20) else { return false }
        }
        return true
    }

    /// The value as text: RFC 2047 words decoded, raw 8-bit bytes read as UTF-8 (else CP932).
    public var decodedValue: String {
        EncodedWordDecoder.decode(value)
    }

    /// The value as (lossy) ASCII/UTF-8 text without RFC 2047 decoding: for structured fields.
    public var valueString: String {
        String(decoding: value, as: UTF8.self)
    }

    /// The length of the longest physical line (without its line break).
    var longestLine: Int { Self.longestLine(raw) }

    /// The length of the longest line in `bytes`, line breaks (CR and LF) not counted.
    static func longestLine(_ bytes: [UInt8]) -> Int {
        var longest = 0
        var current = 0
        for byte in bytes {
            if byte == 0x0A {
                longest = max(longest, current)
                current = 0
            } else if byte != 0x0D {
                current += 1
            }
        }
        return max(longest, current)
    }

    static func unfold(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        var result = [UInt8]()
        result.reserveCapacity(bytes.count)
        for byte in bytes where byte != 0x0D && byte != 0x0A {
            result.append(byte)
        }
        var start = 0
        var end = result.count
        while start < end, result[start] == 0x20 || result[start] == 0x09 { start += 1 }
        while end > start, result[end - 1] == 0x20 || result[end - 1] == 0x09 { end -= 1 }
        if start == 0 && end == result.count { return result }
        return Array(result[start..<end])
    }
}

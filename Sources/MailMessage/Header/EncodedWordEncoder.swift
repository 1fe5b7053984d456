/// How non-ASCII header text is encoded.
public enum HeaderTextEncoding: Sendable, Hashable {
    /// `=?UTF-8?B?…?=` words.
    case utf8
    /// `=?ISO-2022-JP?B?…?=` words (CP50221, as Japanese clients expect); text that has no
    /// ISO-2022-JP form (emoji, other scripts) falls back to UTF-8.
    case iso2022JP
}

/// RFC 2047 encoding of header text, folded so no line passes 76 columns and every encoded word
/// stands alone (each ISO-2022-JP word returns to ASCII; no character is split between words).
public enum EncodedWordEncoder {
    /// A complete field (`Name: value` with CRLF folds and the final CRLF).
    public static func field(name: String, text: String, encoding: HeaderTextEncoding) -> [UInt8] {
        let clean = String(text.unicodeScalars.map { $0.value < 32 || $0.value == 127 ? " " : Character($0) })
        if clean.unicodeScalars.allSatisfy({ $0.isASCII }) && !clean.contains("=?") {
            let words = clean.split(separator: " ", omittingEmptySubsequences: false).map { Array($0.utf8) }
            return HeaderFolder.fold(name: name, words: words, separator: [0x20])
        }
        let words = encodedWords(clean, encoding: encoding, firstLineUsed: name.utf8.count + 2)
        return HeaderFolder.fold(name: name, words: words, separator: [0x20])
    }

    /// The text as a list of encoded words, each at most 75 characters; the first word fits after
    /// `firstLineUsed` columns.
    public static func encodedWords(_ text: String, encoding: HeaderTextEncoding, firstLineUsed: Int = 0) -> [[UInt8]] {
        if encoding == .iso2022JP, let words = words(text, charsetName: "ISO-2022-JP", charset: .iso2022JP, firstLineUsed: firstLineUsed) {
            return words
        }
        return words(text, charsetName: "UTF-8", charset: .utf8, firstLineUsed: firstLineUsed) ?? []
    }

    private static func words(_ text: String, charsetName: String, charset: MIMECharset, firstLineUsed: Int) -> [[UInt8]]? {
        let prefix = Array("=?\(charsetName)?B?".utf8)
        let suffix = Array("?=".utf8)
        let overhead = prefix.count + suffix.count
        var words = [[UInt8]]()
        var current = ""
        var currentBytes: [UInt8] = []
        func limit() -> Int {
            // Fold lines begin with one space; the first word follows "Name: ".
            words.isEmpty ? max(76 - firstLineUsed, overhead + 8) : 75
        }
        func encodedLength(_ bytes: [UInt8]) -> Int { overhead + (bytes.count + 2) / 3 * 4 }
        for character in text {
            let candidate = current + String(character)
            guard let bytes = TextEncoder.encode(candidate, charset: charset) else { return nil }
            if encodedLength(bytes) > limit() && !current.isEmpty {
                words.append(prefix + Base64Encoder.encode(currentBytes, lineLength: 0) + suffix)
                current = String(character)
                guard let single = TextEncoder.encode(current, charset: charset) else { return nil }
                currentBytes = single
            } else {
                current = candidate
                currentBytes = bytes
            }
        }
        if !current.isEmpty {
            words.append(prefix + Base64Encoder.encode(currentBytes, lineLength: 0) + suffix)
        }
        return words
    }
}

/// Folds a field's words into lines of at most 76 columns where possible (CRLF + space).
enum HeaderFolder {
    static func fold(name: String, words: [[UInt8]], separator: [UInt8]) -> [UInt8] {
        var output = Array(name.utf8) + [UInt8(ascii: ":")]
        var lineLength = output.count
        var first = true
        for word in words {
            let needed = separator.count + word.count
            if !first && lineLength + needed > 76 && lineLength > 1 {
                output += [13, 10]
                lineLength = 0
            }
            output += separator
            output += word
            lineLength += needed
            first = false
        }
        if words.isEmpty { output.append(0x20) }
        output += [13, 10]
        return output
    }
}

/// A structured MIME header value — `type/subtype; name=value; …` — with its parameters decoded
/// the ways real mail writes them: RFC 2231 (charset, language, continuations, mixed encoded and
/// plain segments, joined as bytes before decoding), RFC 2047 words inside quoted values
/// (Outlook and Japanese clients), and raw 8-bit values (UTF-8, else CP932).
public struct StructuredHeaderValue: Sendable, Hashable {
    /// What decoding the parameters noticed, for warnings.
    public struct Notes: Sendable, Hashable {
        public var rfc2047InParameter = false
        public var crlfInParameter = false
        public var controlCharacters = false
        public var raw8bit = false
        public var rawNotUTF8 = false
        public var supersetNeeded = false
        public var unknownCharset = false
        public var splitCharacter = false

        public init() {}
    }

    /// The value before the first `;`, lower-cased and trimmed (`multipart/mixed`, `attachment`).
    public let token: String
    /// Decoded parameters by lower-cased name.
    public let parameters: [String: String]
    /// Raw (undecoded) plain parameter values by lower-cased name (boundaries are compared as bytes).
    public let rawParameters: [String: [UInt8]]
    /// What decoding noticed.
    public let notes: Notes

    /// Parses a header value.
    public init(_ value: some Collection<UInt8>) {
        let bytes = Array(value)
        var index = 0
        while index < bytes.count, bytes[index] != UInt8(ascii: ";") { index += 1 }
        token = String(decoding: Self.stripComments(bytes[0..<index]), as: UTF8.self).trimmingASCIIWhitespace().lowercased()
        var plain = [String: [UInt8]]()
        var extended = [String: [UInt8]]()
        var segments = [String: [Int: (encoded: Bool, bytes: [UInt8])]]()
        for (name, rawValue) in Self.rawParameters(bytes[index...]) {
            guard let star = name.firstIndex(of: "*") else {
                if plain[name] == nil { plain[name] = rawValue }
                continue
            }
            let base = String(name[..<star])
            let rest = name[name.index(after: star)...]
            if rest.isEmpty {
                if extended[base] == nil { extended[base] = rawValue }
            } else {
                let encoded = rest.hasSuffix("*")
                let digits = encoded ? rest.dropLast() : rest
                guard let number = Int(digits), number >= 0, number < 1000 else { continue }
                if segments[base, default: [:]][number] == nil {
                    segments[base, default: [:]][number] = (encoded, rawValue)
                }
            }
        }
        var notes = Notes()
        var decoded = [String: String]()
        for (name, parts) in segments {
            let ordered = parts.sorted { $0.key < $1.key }
            var charset: String?
            var joined = [UInt8]()
            for (position, segment) in ordered.enumerated() {
                if segment.value.encoded {
                    var payload = segment.value.bytes[...]
                    if position == 0, let (label, rest) = Self.splitCharsetPrefix(payload) {
                        charset = label
                        payload = rest
                    }
                    joined += Self.percentDecode(payload)
                } else {
                    joined += segment.value.bytes
                }
            }
            decoded[name] = Self.decodeText(joined, charset: charset, notes: &notes)
        }
        for (name, value) in extended where decoded[name] == nil {
            if let (label, rest) = Self.splitCharsetPrefix(value[...]) {
                decoded[name] = Self.decodeText(Self.percentDecode(rest), charset: label, notes: &notes)
            } else {
                decoded[name] = Self.decodeText(Self.percentDecode(value[...]), charset: nil, notes: &notes)
            }
        }
        for (name, value) in plain where decoded[name] == nil {
            if value.count > 3, Self.containsPair(value, 0x3D, 0x3F), Self.containsPair(value, 0x3F, 0x3D) {
                var wordNotes = EncodedWordDecoder.Notes()
                let text = EncodedWordDecoder.decode(value, notes: &wordNotes)
                if wordNotes.containedEncodedWords { notes.rfc2047InParameter = true }
                if wordNotes.splitCharacter { notes.splitCharacter = true }
                if wordNotes.raw8bit { notes.raw8bit = true }
                if wordNotes.rawNotUTF8 { notes.rawNotUTF8 = true }
                if wordNotes.text.supersetNeeded { notes.supersetNeeded = true }
                if wordNotes.text.unknownCharset { notes.unknownCharset = true }
                decoded[name] = text
            } else {
                decoded[name] = Self.decodeText(value, charset: nil, notes: &notes)
            }
        }
        for text in decoded.values {
            if text.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\r\n" }) { notes.crlfInParameter = true }
            if text.unicodeScalars.contains(where: { ($0.value < 32 && $0 != "\r" && $0 != "\n") || $0.value == 127 }) {
                notes.controlCharacters = true
            }
        }
        parameters = decoded
        rawParameters = plain
        self.notes = notes
    }

    /// Whether `first` is directly followed by `second` somewhere in `bytes` (`=?`, `?=`).
    private static func containsPair(_ bytes: [UInt8], _ first: UInt8, _ second: UInt8) -> Bool {
        var index = 0
        while index + 1 < bytes.count {
            if bytes[index] == first && bytes[index + 1] == second { return true }
            index += 1
        }
        return false
    }

    private static func decodeText(_ bytes: [UInt8], charset: String?, notes: inout Notes) -> String {
        if let charset, !charset.isEmpty {
            var textNotes = TextDecoder.Notes()
            let text = TextDecoder.decode(bytes, charset: MIMECharset(label: charset), notes: &textNotes)
            if textNotes.supersetNeeded { notes.supersetNeeded = true }
            if textNotes.unknownCharset { notes.unknownCharset = true }
            return text
        }
        guard bytes.contains(where: { $0 >= 0x80 }) else { return String(decoding: bytes, as: UTF8.self) }
        notes.raw8bit = true
        var textNotes = TextDecoder.Notes()
        let text = TextDecoder.decodeRaw(bytes, notes: &textNotes)
        if textNotes.readAsCP932 || String(validating: bytes, as: UTF8.self) == nil { notes.rawNotUTF8 = true }
        return text
    }

    /// `utf-8'ja'rest` → ("utf-8", rest).
    private static func splitCharsetPrefix(_ value: ArraySlice<UInt8>) -> (String, ArraySlice<UInt8>)? {
        guard let firstQuote = value.firstIndex(of: UInt8(ascii: "'")) else { return nil }
        guard let secondQuote = value[(firstQuote + 1)...].firstIndex(of: UInt8(ascii: "'")) else { return nil }
        let label = String(decoding: value[..<firstQuote], as: UTF8.self)
        guard label.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "%") }) else { return nil }
        return (label, value[(secondQuote + 1)...])
    }

    private static func percentDecode(_ value: ArraySlice<UInt8>) -> [UInt8] {
        var output = [UInt8]()
        output.reserveCapacity(value.count)
        var index = value.startIndex
        while index < value.endIndex {
            let byte = value[index]
            if byte == UInt8(ascii: "%"), index + 2 < value.endIndex,
                let high = EncodedWordDecoder.hex(value[index + 1]), let low = EncodedWordDecoder.hex(value[index + 2])
            {
                output.append(high << 4 | low)
                index += 3
            } else {
                output.append(byte)
                index += 1
            }
        }
        return output
    }

    private static func stripComments(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        var output = [UInt8]()
        var depth = 0
        for byte in bytes {
            if byte == UInt8(ascii: "(") { depth += 1; continue }
            if byte == UInt8(ascii: ")") && depth > 0 { depth -= 1; continue }
            if depth == 0 { output.append(byte) }
        }
        return output
    }

    /// Splits `; name=value; name="quoted"` into (lower-cased name, raw value) pairs.
    static func rawParameters(_ bytes: ArraySlice<UInt8>) -> [(String, [UInt8])] {
        var result = [(String, [UInt8])]()
        var index = bytes.startIndex
        let end = bytes.endIndex
        func skipSpace() {
            while index < end, bytes[index] == 0x20 || bytes[index] == 0x09 || bytes[index] == 0x0D || bytes[index] == 0x0A { index += 1 }
        }
        while index < end {
            skipSpace()
            while index < end, bytes[index] == UInt8(ascii: ";") {
                index += 1
                skipSpace()
            }
            guard index < end else { break }
            let nameStart = index
            while index < end, bytes[index] != UInt8(ascii: "="), bytes[index] != UInt8(ascii: ";") { index += 1 }
            let name = String(decoding: bytes[nameStart..<index], as: UTF8.self).trimmingASCIIWhitespace().lowercased()
            guard index < end, bytes[index] == UInt8(ascii: "=") else { continue }
            index += 1
            skipSpace()
            var value = [UInt8]()
            if index < end, bytes[index] == UInt8(ascii: "\"") {
                index += 1
                while index < end, bytes[index] != UInt8(ascii: "\"") {
                    if bytes[index] == UInt8(ascii: "\\"), index + 1 < end {
                        index += 1
                    }
                    value.append(bytes[index])
                    index += 1
                }
                if index < end { index += 1 }
                while index < end, bytes[index] != UInt8(ascii: ";") { index += 1 }
            } else {
                while index < end, bytes[index] != UInt8(ascii: ";") {
                    value.append(bytes[index])
                    index += 1
                }
                while let last = value.last, last == 0x20 || last == 0x09 { value.removeLast() }
            }
            if !name.isEmpty { result.append((name, value)) }
        }
        return result
    }
}

/// A parsed `Content-Type`.
public struct ContentType: Sendable, Hashable {
    /// Lower-case type (`text`, `multipart`, …).
    public let type: String
    /// Lower-case subtype.
    public let subtype: String
    /// The whole value with decoded parameters.
    public let value: StructuredHeaderValue

    /// Parses a header value; a missing or malformed type becomes `text/plain`.
    public init(_ bytes: some Collection<UInt8>) {
        let value = StructuredHeaderValue(bytes)
        self.value = value
        let pieces = value.token.split(separator: "/", maxSplits: 1).map { String($0).trimmingASCIIWhitespace() }
        if pieces.count == 2, !pieces[0].isEmpty, !pieces[1].isEmpty {
            type = pieces[0]
            subtype = pieces[1]
        } else {
            type = "text"
            subtype = "plain"
        }
    }

    /// The default for a part with no Content-Type: `text/plain` (or `message/rfc822` inside
    /// multipart/digest).
    public init(type: String, subtype: String) {
        self.type = type
        self.subtype = subtype
        self.value = StructuredHeaderValue(Array("\(type)/\(subtype)".utf8))
    }

    /// `type/subtype`.
    public var mimeType: String { "\(type)/\(subtype)" }
    /// The `charset` parameter, lower-cased, when present.
    public var charsetLabel: String? { value.parameters["charset"].map { $0.trimmingASCIIWhitespace().lowercased() } }
    /// The `boundary` parameter as raw bytes (nil when absent or empty).
    public var boundary: [UInt8]? {
        guard let raw = value.rawParameters["boundary"], !raw.isEmpty else { return nil }
        return raw
    }
    /// The decoded `name` parameter.
    public var name: String? { value.parameters["name"] }
    /// Whether this is `multipart/*`.
    public var isMultipart: Bool { type == "multipart" }
    /// Whether this is a text type that makes up a message body.
    public var isBodyText: Bool { type == "text" && (subtype == "plain" || subtype == "html") }
}

/// A parsed `Content-Disposition`.
public struct ContentDisposition: Sendable, Hashable {
    /// Lower-case disposition type as written (`attachment`, `inline`).
    public let type: String
    /// The whole value with decoded parameters.
    public let value: StructuredHeaderValue

    public init(_ bytes: some Collection<UInt8>) {
        value = StructuredHeaderValue(bytes)
        type = value.token
    }

    /// The decoded `filename` parameter.
    public var filename: String? { value.parameters["filename"] }
}

/// How a new attachment's file name is written.
public enum FilenameStyle: Sendable, Hashable {
    /// RFC 2231 `filename*=UTF-8''…` in Content-Disposition plus an RFC 2047 `name=` in
    /// Content-Type: what current clients write and every client reads.
    case standard
    /// RFC 2047 words in both parameters (`filename="=?ISO-2022-JP?B?…?="`), for old Japanese
    /// clients that read nothing else.
    case encodedWords(HeaderTextEncoding)
}

extension MIMEEntity {
    /// A new attachment: base64 content, the (sanitised) file name in the chosen style.
    public static func attachment(
        filename: String,
        contentType: String = "application/octet-stream",
        content: [UInt8],
        inline: Bool = false,
        contentID: String? = nil,
        filenameStyle: FilenameStyle = .standard
    ) -> MIMEEntity {
        attachment(
            filename: filename, contentType: contentType, base64Body: BodyBytes(Base64Encoder.encode(content)), inline: inline, contentID: contentID,
            filenameStyle: filenameStyle
        )
    }

    /// A new attachment whose content is already base64 text (CRLF lines, typically spooled
    /// with ``SpoolWriter``: large generated files never sit in memory).
    public static func attachment(
        filename: String,
        contentType: String = "application/octet-stream",
        base64Body: BodyBytes,
        inline: Bool = false,
        contentID: String? = nil,
        filenameStyle: FilenameStyle = .standard
    ) -> MIMEEntity {
        let name = SafeFilename.make(filename)
        var header = MessageHeader()
        let type = cleanToken(contentType, fallback: "application/octet-stream")
        let disposition = inline ? "inline" : "attachment"
        switch filenameStyle {
        case .standard:
            header.append(parameterField("Content-Type", type, [("name", .encodedWords(.utf8, name))]))
            header.append(parameterField("Content-Disposition", disposition, [("filename", .rfc2231(name))]))
        case .encodedWords(let encoding):
            header.append(parameterField("Content-Type", type, [("name", .encodedWords(encoding, name))]))
            header.append(parameterField("Content-Disposition", disposition, [("filename", .encodedWords(encoding, name))]))
        }
        header.append(HeaderField(name: "Content-Transfer-Encoding", rawValue: "base64"))
        if let contentID { header.append(HeaderField(name: "Content-ID", rawValue: "<\(contentID)>")) }
        return MIMEEntity(header: header, headerTerminator: [13, 10], body: .leaf(LeafBody(raw: base64Body)), defaultContentType: .plainText)
    }

    /// A new text part in `charset` (UTF-8 when the text cannot be written in it), 7bit when the
    /// encoded text is short-lined ASCII or ISO-2022-JP, else base64.
    public static func text(_ text: String, subtype: String = "plain", charset: MIMECharset = .utf8) -> MIMEEntity {
        let normalized = normalizeLineBreaks(text)
        var chosen = charset
        var bytes = TextEncoder.encode(normalized, charset: charset)
        if bytes == nil {
            chosen = .utf8
            bytes = Array(normalized.utf8)
        }
        let content = bytes ?? []
        var header = MessageHeader()
        header.append(HeaderField(name: "Content-Type", rawValue: "text/\(cleanToken(subtype, fallback: "plain")); charset=\(chosenLabel(chosen))"))
        let sevenBit = content.allSatisfy { $0 < 0x80 && $0 != 0 } && longestLine(content) <= 998
        header.append(HeaderField(name: "Content-Transfer-Encoding", rawValue: sevenBit ? "7bit" : "base64"))
        var body = sevenBit ? content : Base64Encoder.encode(content)
        if body.suffix(2) != [13, 10] { body += [13, 10] }
        return MIMEEntity(header: header, body: body)
    }

    /// Replaces the content of a leaf with `content` (decoded bytes), re-encoded in the part's
    /// transfer encoding (7bit becomes base64 when the content is not 7-bit any more).
    public mutating func setContent(_ content: [UInt8]) {
        var encoding = transferEncoding
        let needsBase64: Bool
        switch encoding {
        case .sevenBit: needsBase64 = !(content.allSatisfy { $0 < 0x80 } && Self.longestLine(content) <= 998)
        case .uuencode, .other: needsBase64 = true
        default: needsBase64 = false
        }
        if needsBase64 {
            encoding = .base64
            header.set(HeaderField(name: "Content-Transfer-Encoding", rawValue: "base64"))
        }
        var encoded: [UInt8]
        switch encoding {
        case .base64: encoded = Base64Encoder.encode(content)
        case .quotedPrintable: encoded = QuotedPrintableEncoder.encode(content)
        default: encoded = content
        }
        // The line break before the next delimiter belongs to the delimiter: always add one, so
        // the content keeps its own last line break.
        encoded += [13, 10]
        if headerTerminator.isEmpty {
            header.ensureTerminated()
            headerTerminator = [13, 10]
        }
        body = .leaf(LeafBody(raw: BodyBytes(encoded), delimiterLineBreak: 2))
    }

    /// Sets (or adds) one parameter of the Content-Type, keeping the others.
    public mutating func setContentTypeParameter(_ name: String, _ value: String) {
        var parameters: [(String, ParameterValue)] = []
        let fieldValue = header["Content-Type"]?.value ?? []
        let parameterBytes = fieldValue.firstIndex(of: UInt8(ascii: ";")).map { fieldValue[$0...] } ?? []
        for (key, raw) in StructuredHeaderValue.rawParameters(parameterBytes) where key != name.lowercased() {
            parameters.append((key, .raw(raw)))
        }
        parameters.append((name.lowercased(), .raw(Array(value.utf8))))
        header.set(Self.parameterField("Content-Type", contentType.mimeType, parameters))
    }

    enum ParameterValue {
        case raw([UInt8])
        case rfc2231(String)
        case encodedWords(HeaderTextEncoding, String)
    }

    /// A structured field: `Name: token; a="b"; …` folded at parameter boundaries.
    static func parameterField(_ name: String, _ token: String, _ parameters: [(String, ParameterValue)]) -> HeaderField {
        var words: [[UInt8]] = [Array(token.utf8) + (parameters.isEmpty ? [] : [UInt8(ascii: ";")])]
        for (index, (key, value)) in parameters.enumerated() {
            let last = index == parameters.count - 1
            var pieces: [[UInt8]]
            switch value {
            case .raw(let bytes):
                pieces = [Array("\(key)=".utf8) + quoted(bytes)]
            case .rfc2231(let text):
                pieces = rfc2231Segments(key: key, text: text)
            case .encodedWords(let encoding, let text):
                if text.unicodeScalars.allSatisfy({ $0.isASCII && $0.value >= 32 }) {
                    pieces = [Array("\(key)=".utf8) + quoted(Array(text.utf8))]
                } else {
                    let encoded = EncodedWordEncoder.encodedWords(text, encoding: encoding, firstLineUsed: key.utf8.count + 3)
                    pieces = [Array("\(key)=\"".utf8) + encoded.joined(separator: [0x20]) + [UInt8(ascii: "\"")]]
                }
            }
            for (pieceIndex, piece) in pieces.enumerated() {
                let isLastPiece = last && pieceIndex == pieces.count - 1
                words.append(piece + (isLastPiece ? [] : [UInt8(ascii: ";")]))
            }
        }
        return HeaderField(raw: HeaderFolder.fold(name: name, words: words, separator: [0x20]))
    }

    /// `key*0*=UTF-8''%E3…; key*1*=…` segments of at most ~60 characters each.
    static func rfc2231Segments(key: String, text: String) -> [[UInt8]] {
        let bytes = Array(text.utf8)
        if bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }) && bytes.count < 60 {
            return [Array("\(key)=".utf8) + quoted(bytes)]
        }
        let hex = Array("0123456789ABCDEF".utf8)
        var encoded = [[UInt8]]()  // one entry per source byte, never split inside %XX
        for byte in bytes {
            let plain = (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || "!#$&+-.^_`|~".utf8.contains(byte)
            encoded.append(plain ? [byte] : [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 15)]])
        }
        var segments = [[UInt8]]()
        var current = [UInt8]()
        for piece in encoded {
            if current.count + piece.count > 54 {
                segments.append(current)
                current = []
            }
            current += piece
        }
        if !current.isEmpty || segments.isEmpty { segments.append(current) }
        if segments.count == 1 { return [Array("\(key)*=UTF-8''".utf8) + segments[0]] }
        return segments.enumerated().map { index, segment in
            Array("\(key)*\(index)*=".utf8) + (index == 0 ? Array("UTF-8''".utf8) : []) + segment
        }
    }

    static func quoted(_ bytes: [UInt8]) -> [UInt8] {
        var output: [UInt8] = [UInt8(ascii: "\"")]
        for byte in bytes where byte != 0x0D && byte != 0x0A {
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { output.append(UInt8(ascii: "\\")) }
            output.append(byte)
        }
        output.append(UInt8(ascii: "\""))
        return output
    }

    static func cleanToken(_ token: String, fallback: String) -> String {
        let cleaned = token.lowercased().unicodeScalars.filter { $0.isASCII && $0.value > 32 && $0.value < 127 && !"()<>@,;:\\\"[]?=".unicodeScalars.contains($0) }
        return cleaned.isEmpty ? fallback : String(String.UnicodeScalarView(cleaned))
    }

    static func chosenLabel(_ charset: MIMECharset) -> String {
        switch charset.converter {
        case .utf8: "UTF-8"
        case .iso2022JP: "ISO-2022-JP"
        case .ascii: "US-ASCII"
        case .iconv, .unknown: charset.label
        }
    }

    static func normalizeLineBreaks(_ text: String) -> String {
        var scalars = String.UnicodeScalarView()
        var previousCR = false
        for scalar in text.unicodeScalars {
            if scalar == "\n" {
                if !previousCR {
                    scalars.append("\r")
                    scalars.append("\n")
                }
                previousCR = false
            } else if scalar == "\r" {
                scalars.append("\r")
                scalars.append("\n")
                previousCR = true
            } else {
                scalars.append(scalar)
                previousCR = false
            }
        }
        return String(scalars)
    }

    static func longestLine(_ bytes: [UInt8]) -> Int {
        HeaderField.longestLine(bytes)
    }
}


/// Bytes in a charset to a Swift string, leniently: a bad byte becomes U+FFFD and decoding goes
/// on; an unknown label falls back to reading the bytes as raw text without losing any.
public enum TextDecoder {
    /// What decoding noticed, for warnings.
    public struct Notes: Hashable, Sendable {
        /// The label is unknown (fallback used).
        public var unknownCharset = false
        /// The content needed the vendor superset (CP932 under `Shift_JIS`, CP50221 under
        /// `ISO-2022-JP`).
        public var supersetNeeded = false
        /// Bytes that could not be decoded.
        public var invalidSequences = 0
        /// Raw 8-bit bytes were read as CP932 because they are not UTF-8.
        public var readAsCP932 = false

        public init() {}
    }

    /// Decodes `bytes` labelled `charset`.
    public static func decode(_ bytes: some Collection<UInt8>, charset: MIMECharset) -> String {
        var notes = Notes()
        return decode(bytes, charset: charset, notes: &notes)
    }

    /// Decodes `bytes` labelled `charset`, recording what it noticed in `notes`.
    public static func decode(_ bytes: some Collection<UInt8>, charset: MIMECharset, notes: inout Notes) -> String {
        let array = Array(bytes)
        switch charset.converter {
        case .ascii:
            if !array.contains(where: { $0 >= 0x80 }) { return String(decoding: array, as: UTF8.self) }
            return decodeRaw(array, notes: &notes)
        case .utf8:
            return decodeUTF8Lenient(array, notes: &notes)
        case .iso2022JP:
            return decodeISO2022JP(array, notes: &notes)
        case .iconv(let name):
            if name == "CP932" && containsCP932Extensions(array) { notes.supersetNeeded = true }
            if name == "EUC-JP-MS" && !charset.label.contains("ms") && containsEUCJPMSExtensions(array) { notes.supersetNeeded = true }
            guard let result = Iconv.decodeToUTF8(array, from: name) else {
                notes.unknownCharset = true
                return decodeRaw(array, notes: &notes)
            }
            notes.invalidSequences += result.invalidSequences
            return String(decoding: result.bytes, as: UTF8.self)
        case .unknown:
            notes.unknownCharset = true
            return decodeRaw(array, notes: &notes)
        }
    }

    /// Raw 8-bit text without a label (headers, parameters, unknown charsets): UTF-8 when the
    /// bytes are valid UTF-8, else CP932 when they are valid CP932, else Latin-1 (every byte kept).
    public static func decodeRaw(_ bytes: some Collection<UInt8>, notes: inout Notes) -> String {
        let array = Array(bytes)
        if let text = String(validating: array, as: UTF8.self) { return text }
        if let result = Iconv.decodeToUTF8(array, from: "CP932"), result.invalidSequences == 0 {
            notes.readAsCP932 = true
            return String(decoding: result.bytes, as: UTF8.self)
        }
        return String(String.UnicodeScalarView(array.map { Unicode.Scalar($0) }))
    }

    /// Raw 8-bit text without a label.
    public static func decodeRaw(_ bytes: some Collection<UInt8>) -> String {
        var notes = Notes()
        return decodeRaw(bytes, notes: &notes)
    }

    private static func decodeUTF8Lenient(_ bytes: [UInt8], notes: inout Notes) -> String {
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        // Count replacements the way String(decoding:) makes them.
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        var scalars = String.UnicodeScalarView()
        loop: while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar): scalars.append(scalar)
            case .error:
                notes.invalidSequences += 1
                scalars.append("\u{FFFD}")
            case .emptyInput: break loop
            }
        }
        return String(scalars)
    }

    private static func decodeISO2022JP(_ bytes: [UInt8], notes: inout Notes) -> String {
        let transcoded = ISO2022JP.toShiftJIS(bytes)
        if transcoded.needsISO2022JP2, let result = Iconv.decodeToUTF8(bytes, from: "ISO-2022-JP-2"),
            result.invalidSequences == 0
        {
            return String(decoding: result.bytes, as: UTF8.self)
        }
        if transcoded.usesMicrosoftRows { notes.supersetNeeded = true }
        guard let result = Iconv.decodeToUTF8(transcoded.bytes, from: "CP932") else {
            return String(decoding: bytes, as: UTF8.self)
        }
        notes.invalidSequences += result.invalidSequences + transcoded.invalidBytes
        return String(decoding: result.bytes, as: UTF8.self)
    }

    /// NEC row 13 (0xAD lead) and the NEC-selected IBM rows 89–92 (0xF9–0xFC lead) in EUC-JP:
    /// characters only EUC-JP-MS has.
    static func containsEUCJPMSExtensions(_ bytes: [UInt8]) -> Bool {
        var index = 0
        while index + 1 < bytes.count {
            let byte = bytes[index]
            if byte < 0x80 { index += 1; continue }
            if byte == 0x8E { index += 2; continue }  // half-width katakana
            if byte == 0x8F { index += 3; continue }  // JIS X 0212
            if byte == 0xAD || (0xF9...0xFC).contains(byte) { return true }
            index += 2
        }
        return false
    }

    /// NEC row 13 (0x87xx), NEC-selected IBM extensions (0xED/0xEE) and IBM extensions
    /// (0xFA–0xFC): characters plain Shift_JIS does not have.
    static func containsCP932Extensions(_ bytes: [UInt8]) -> Bool {
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte < 0x80 || (0xA1...0xDF).contains(byte) {
                index += 1
                continue
            }
            if byte == 0x87 || byte == 0xED || byte == 0xEE || (0xFA...0xFC).contains(byte) { return true }
            index += 2
        }
        return false
    }
}

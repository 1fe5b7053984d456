/// A charset label as written in mail (`charset=Shift_JIS`, `=?ISO-2022-JP?B?…?=`), resolved to
/// the converter that reads what senders really put under it.
///
/// Labels name a family, not a table: `Shift_JIS` is decoded as CP932 and `ISO-2022-JP` as
/// CP50221 (as the WHATWG Encoding Standard and every mail client do), `EUC-JP` as EUC-JP-MS,
/// `GB2312` as GBK, `Big5` as BIG5-HKSCS and `EUC-KR` as CP949, so vendor characters such as ①,
/// ㈱, 髙 and ～ survive.
public struct MIMECharset: Hashable, Sendable, CustomStringConvertible {
    /// How text in this charset is converted.
    public enum Converter: Hashable, Sendable {
        /// US-ASCII; 8-bit bytes are read as raw text (UTF-8, else CP932).
        case ascii
        /// UTF-8 (validated; invalid sequences become U+FFFD).
        case utf8
        /// ISO-2022-JP as CP50221 (transcoded to CP932 arithmetically, then iconv).
        case iso2022JP
        /// An iconv charset name.
        case iconv(String)
        /// A label nobody knows: bytes are read as raw text (UTF-8, else CP932, else Latin-1).
        case unknown
    }

    /// The label as written, lower-cased.
    public let label: String
    /// The converter used.
    public let converter: Converter

    /// Resolves a label (case-insensitive, surrounding quotes and spaces ignored).
    public init(label rawLabel: String) {
        let label = rawLabel.trimmingASCIIWhitespace().trimmingQuotes().lowercased()
        self.label = label
        self.converter = Self.resolve(label)
    }

    /// UTF-8.
    public static let utf8 = MIMECharset(label: "utf-8")
    /// ISO-2022-JP (CP50221).
    public static let iso2022JP = MIMECharset(label: "iso-2022-jp")

    public var description: String { label }

    /// Whether the converter understands the label (an unknown label is a warning).
    public var isKnown: Bool { converter != .unknown }

    /// Whether this is the Japanese Shift_JIS family.
    var isShiftJIS: Bool { converter == .iconv("CP932") }

    private static func resolve(_ label: String) -> Converter {
        switch label {
        case "us-ascii", "ascii", "ansi_x3.4-1968", "iso646-us", "us", "":
            return .ascii
        case "utf-8", "utf8", "unicode-1-1-utf-8", "x-unicode20utf8":
            return .utf8
        case "iso-2022-jp", "csiso2022jp", "iso2022jp", "jis", "cp50220", "cp50221", "cp50222", "iso-2022-jp-1",
            "x-windows-iso2022jp":
            return .iso2022JP
        case "iso-2022-jp-2", "csiso2022jp2":
            return .iconv("ISO-2022-JP-2")
        case "iso-2022-jp-3":
            return .iconv("ISO-2022-JP-3")
        case "shift_jis", "shift-jis", "sjis", "x-sjis", "ms_kanji", "csshiftjis", "windows-31j", "cp932", "ms932",
            "x-ms-cp932", "shift_jisx0213", "s-jis":
            return .iconv("CP932")
        case "euc-jp", "x-euc-jp", "eucjp", "cseucpkdfmtjapanese", "euc-jp-ms", "eucjp-ms", "x-euc":
            return .iconv("EUC-JP-MS")
        case "gb2312", "gbk", "cp936", "x-gbk", "euc-cn", "csgb2312", "chinese", "gb_2312-80", "windows-936":
            return .iconv("GBK")
        case "gb18030":
            return .iconv("GB18030")
        case "big5", "big5-hkscs", "cp950", "x-x-big5", "csbig5", "cn-big5", "x-big5":
            return .iconv("BIG5-HKSCS")
        case "euc-kr", "ks_c_5601-1987", "ks_c_5601", "cp949", "uhc", "windows-949", "cseuckr", "korean", "x-windows-949":
            return .iconv("CP949")
        case "iso-2022-kr":
            return .iconv("ISO-2022-KR")
        case "latin1", "l1", "iso8859-1", "iso_8859-1", "cp819":
            return .iconv("ISO-8859-1")
        default:
            break
        }
        if label.hasPrefix("iso-8859-") || label.hasPrefix("iso8859-") || label.hasPrefix("iso_8859-") {
            let number = label.split(separator: "-").last.map(String.init) ?? ""
            if let value = Int(number.prefix { $0.isNumber }), (1...16).contains(value) {
                return .iconv("ISO-8859-\(value)")
            }
        }
        if label.hasPrefix("windows-125") || label.hasPrefix("cp125") || label.hasPrefix("x-cp125") {
            if let digit = label.last, digit.isNumber {
                return .iconv("WINDOWS-125\(digit)")
            }
        }
        // Anything else iconv itself knows (koi8-r, utf-16le, tis-620, …). Labels are restricted
        // to the token characters MIME allows so nothing odd reaches iconv_open.
        let allowed = label.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || "0123456789-_.:".unicodeScalars.contains($0)) }
        if allowed, !label.isEmpty, label.count <= 40, Iconv.supports(label.uppercased()) {
            return .iconv(label.uppercased())
        }
        return .unknown
    }
}

extension String {
    func trimmingASCIIWhitespace() -> String {
        let bytes = utf8
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A }
        guard let first = bytes.first, let last = bytes.last, isSpace(first) || isSpace(last) else { return self }
        var start = bytes.startIndex
        var end = bytes.endIndex
        while start < end, isSpace(bytes[start]) { start = bytes.index(after: start) }
        while end > start, isSpace(bytes[bytes.index(before: end)]) { end = bytes.index(before: end) }
        return String(self[start..<end])
    }

    func trimmingQuotes() -> String {
        if count >= 2, hasPrefix("\""), hasSuffix("\"") { return String(dropFirst().dropLast()) }
        return self
    }
}

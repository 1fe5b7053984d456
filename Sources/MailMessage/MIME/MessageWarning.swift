/// Something the parser or decoder noticed about a message: non-standard but understood input
/// (`info`) or broken or dangerous input (`warning`). Codes follow `shared/corpus` names.
public struct MessageWarning: Sendable, Hashable, Codable, CustomStringConvertible {
    /// How serious it is.
    public enum Severity: String, Sendable, Hashable, Codable {
        case info
        case warning
    }

    /// A stable code.
    public struct Code: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        public static let missingFinalBoundary = Code(rawValue: "missing_final_boundary")
        public static let missingBoundaryParameter = Code(rawValue: "missing_boundary_parameter")
        public static let duplicateHeader = Code(rawValue: "duplicate_header")
        public static let headerLineTooLong = Code(rawValue: "header_line_too_long")
        public static let bodyLineTooLong = Code(rawValue: "body_line_too_long")
        public static let bareLFLineEndings = Code(rawValue: "bare_lf_line_endings")
        public static let nulInBody = Code(rawValue: "nul_in_body")
        public static let invalidBase64 = Code(rawValue: "invalid_base64")
        public static let unknownCharset = Code(rawValue: "unknown_charset")
        public static let charsetSupersetNeeded = Code(rawValue: "charset_superset_needed")
        public static let encodedWordSplitsCharacter = Code(rawValue: "encoded_word_splits_character")
        public static let rfc2047InParameter = Code(rawValue: "rfc2047_in_parameter")
        public static let raw8bitHeader = Code(rawValue: "raw_8bit_header")
        public static let nonUTF8RawHeader = Code(rawValue: "non_utf8_raw_header")
        public static let deepNesting = Code(rawValue: "deep_nesting")
        public static let manyParts = Code(rawValue: "many_parts")
        public static let crlfInParameter = Code(rawValue: "crlf_in_parameter")
        public static let unsafeFilename = Code(rawValue: "unsafe_filename")
        public static let controlCharsInFilename = Code(rawValue: "control_chars_in_filename")
        public static let uuencodeInBody = Code(rawValue: "uuencode_in_body")
        public static let headerTooLarge = Code(rawValue: "header_too_large")
        public static let mixedLineEndings = Code(rawValue: "mixed_line_endings")
    }

    public var code: Code
    public var severity: Severity
    public var detail: String

    public init(_ code: Code, _ severity: Severity, _ detail: String = "") {
        self.code = code
        self.severity = severity
        self.detail = detail
    }

    public var description: String { detail.isEmpty ? "\(severity.rawValue) \(code)" : "\(severity.rawValue) \(code): \(detail)" }
}

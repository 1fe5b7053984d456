/// A mailbox as it appears in `MAIL FROM:<…>` and `RCPT TO:<…>`, without the angle brackets.
///
/// The empty address is the null reverse-path `<>` that bounces and reports are sent from. The
/// initialiser refuses what would break the command line: CR, LF, NUL and other control
/// characters, angle brackets, and more than 320 bytes.
public struct SMTPAddress: Hashable, Sendable, Codable, CustomStringConvertible, Comparable {
    /// The address without brackets; empty for `<>`.
    public let value: String

    /// The longest address accepted, in bytes (RFC 5321: local part 64 + `@` + domain 255).
    public static let maximumLength = 320

    /// The null reverse-path `<>`.
    public static let null = SMTPAddress(unchecked: "")

    /// Parses `user@example.org` or `<user@example.org>` (surrounding spaces ignored).
    /// - Throws: ``SMTPAddressError`` when the address contains a control character or an angle
    ///   bracket inside, or is too long.
    public init(_ text: String) throws(SMTPAddressError) {
        var trimmed = Substring(text).drop { $0 == " " || $0 == "\t" }
        while let last = trimmed.last, last == " " || last == "\t" { trimmed = trimmed.dropLast() }
        if trimmed.first == "<", trimmed.last == ">", trimmed.count >= 2 {
            trimmed = trimmed.dropFirst().dropLast()
        }
        if let bad = trimmed.unicodeScalars.first(where: { $0.value < 0x20 || $0.value == 0x7F || $0 == "<" || $0 == ">" }) {
            throw SMTPAddressError(address: text, reason: "contains \(bad.value < 0x20 ? "a control character" : "'\(bad)'")")
        }
        guard trimmed.utf8.count <= Self.maximumLength else {
            throw SMTPAddressError(address: String(text.prefix(40)) + "…", reason: "longer than \(Self.maximumLength) bytes")
        }
        self.value = String(trimmed)
    }

    private init(unchecked value: String) {
        self.value = value
    }

    /// Whether this is `<>`.
    public var isNull: Bool { value.isEmpty }

    /// Whether the address is pure ASCII (otherwise it needs SMTPUTF8).
    public var isASCII: Bool { value.utf8.allSatisfy { $0 < 0x80 } }

    /// `<user@example.org>`, `<>`.
    public var bracketed: String { "<\(value)>" }

    /// The address as written in logs and reports: `user@example.org`, or `<>`.
    public var description: String { isNull ? "<>" : value }

    public static func < (lhs: SMTPAddress, rhs: SMTPAddress) -> Bool { lhs.value < rhs.value }

    /// Decodes the text form, validated.
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do {
            try self.init(text)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }

    /// Encodes the address without brackets.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }
}

/// An envelope address was refused by ``SMTPAddress/init(_:)``.
public struct SMTPAddressError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The address as given (shortened when too long).
    public let address: String
    /// Why it was refused.
    public let reason: String

    public var description: String { "invalid address \"\(address)\": \(reason)" }
}

/// An RFC 3463 enhanced status code such as `5.1.1`: class, subject and detail.
///
/// Servers that announce `ENHANCEDSTATUSCODES` put one after the reply code on every line
/// (`550 5.1.1 <x@example.org>: Recipient address rejected`). The client also makes up codes for
/// its own refusals (`5.3.4` message too big, `5.6.3` 8-bit content not supported).
public struct EnhancedStatusCode: Hashable, Sendable, Codable, CustomStringConvertible {
    /// 2 (success), 4 (persistent transient failure) or 5 (permanent failure).
    public let statusClass: Int
    /// The subject, 0–999 (1 addressing, 2 mailbox, 3 mail system, 4 network, 5 protocol, 6 content, 7 security).
    public let subject: Int
    /// The detail, 0–999.
    public let detail: Int

    /// Creates a code; `nil` when a part is out of range.
    public init?(statusClass: Int, subject: Int, detail: Int) {
        guard [2, 4, 5].contains(statusClass), (0...999).contains(subject), (0...999).contains(detail) else {
            return nil
        }
        self.statusClass = statusClass
        self.subject = subject
        self.detail = detail
    }

    /// Parses `5.1.1`; `nil` unless the text is exactly class `.` subject `.` detail (1–3 digits each).
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3,
            parts[0].count == 1, (1...3).contains(parts[1].count), (1...3).contains(parts[2].count),
            parts.allSatisfy({ $0.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") } }),
            let statusClass = Int(parts[0]), let subject = Int(parts[1]), let detail = Int(parts[2])
        else { return nil }
        self.init(statusClass: statusClass, subject: subject, detail: detail)
    }

    /// `5.1.1`.
    public var description: String { "\(statusClass).\(subject).\(detail)" }

    /// Codable as its text form.
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let code = Self(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not an enhanced status code: \(text)"))
        }
        self = code
    }

    /// Encodes the text form.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

extension EnhancedStatusCode {
    /// The codes below: written out, known to be in range.
    private init(constant statusClass: Int, _ subject: Int, _ detail: Int) {
        self.statusClass = statusClass
        self.subject = subject
        self.detail = detail
    }

    /// `4.0.0`: other or undefined transient status.
    public static let transientUndefined = EnhancedStatusCode(constant: 4, 0, 0)
    /// `5.0.0`: other or undefined permanent status.
    public static let permanentUndefined = EnhancedStatusCode(constant: 5, 0, 0)
    /// `4.4.1`: no answer from host (connection refused, timeout before the greeting).
    public static let noAnswer = EnhancedStatusCode(constant: 4, 4, 1)
    /// `4.4.2`: bad connection (closed or timed out during the session).
    public static let badConnection = EnhancedStatusCode(constant: 4, 4, 2)
    /// `4.5.0`: other protocol status (the server broke the protocol).
    public static let protocolError = EnhancedStatusCode(constant: 4, 5, 0)
    /// `4.7.0`: other security status (TLS or authentication could not be used).
    public static let securityTransient = EnhancedStatusCode(constant: 4, 7, 0)
    /// `5.3.4`: message too big for system.
    public static let messageTooBig = EnhancedStatusCode(constant: 5, 3, 4)
    /// `5.6.3`: conversion required but not supported (8-bit content, no 8BITMIME).
    public static let conversionNotSupported = EnhancedStatusCode(constant: 5, 6, 3)
    /// `5.6.7`: non-ASCII addresses not permitted (no SMTPUTF8; RFC 6531).
    public static let nonASCIIAddressNotPermitted = EnhancedStatusCode(constant: 5, 6, 7)
    /// `5.4.7`: delivery time expired.
    public static let deliveryTimeExpired = EnhancedStatusCode(constant: 5, 4, 7)
}

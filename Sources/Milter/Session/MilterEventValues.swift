import Logging
import NIOCore

/// The SMTP client as reported by `SMFIC_CONNECT`.
public struct ConnectInfo: Hashable, Sendable {
    /// The client's host name as the MTA knows it (`[203.0.113.7]` or `unknown` when it has none).
    public var hostname: String
    /// Family, address and port.
    public var address: ConnectAddress

    public init(hostname: String, address: ConnectAddress) {
        self.hostname = hostname
        self.address = address
    }
}

/// An envelope address (MAIL FROM or RCPT TO) with its ESMTP parameters.
public struct EnvelopeAddress: Hashable, Sendable {
    /// The address as the MTA sent it, usually with angle brackets: `<a@example.com>`.
    public var raw: String
    /// ESMTP parameters (`SIZE=123`, `BODY=8BITMIME`, `NOTIFY=NEVER`).
    public var parameters: [String]

    public init(raw: String, parameters: [String] = []) {
        self.raw = raw
        self.parameters = parameters
    }

    /// The address without angle brackets; `""` for the null sender `<>`.
    public var address: String {
        var text = Substring(raw)
        if text.hasPrefix("<") && text.hasSuffix(">") && text.count >= 2 {
            text = text.dropFirst().dropLast()
        }
        return String(text)
    }

    /// Whether this is the null sender (`<>` or empty, as Postfix sends it for non-SMTP mail).
    public var isNullSender: Bool { address.isEmpty }
}

/// One header field as the MTA passed it: name and raw value bytes.
///
/// Multi-line (folded) values arrive with bare LF between lines. Unless the filter negotiated
/// ``MilterCapabilities/headerLeadingSpace``, the MTA removed one space after the colon.
public struct HeaderField: Hashable, Sendable {
    /// The field name, e.g. `Subject`.
    public var name: String
    /// The value exactly as sent (8-bit bytes kept), without copying the received packet.
    public var valueBytes: ByteBuffer
    /// Whether `SMFIP_HDR_LEADSPC` is in force: the value starts with the whitespace that
    /// followed the colon (if any), so `name + ":" + value` is the field as written. Otherwise
    /// the MTA removed one space after the colon, if there was one.
    public var leadingSpaceKept = false

    public init(name: String, valueBytes: ByteBuffer) {
        self.name = name
        self.valueBytes = valueBytes
    }

    public init(name: String, rawValue: [UInt8]) {
        self.init(name: name, valueBytes: ByteBuffer(bytes: rawValue))
    }

    public init(name: String, value: String) {
        self.init(name: name, valueBytes: ByteBuffer(string: value))
    }

    /// The value bytes as an array.
    public var rawValue: [UInt8] {
        get { Array(valueBytes.readableBytesView) }
        set { valueBytes = ByteBuffer(bytes: newValue) }
    }

    /// The value decoded as UTF-8 (invalid bytes become U+FFFD; use ``rawValue`` to keep them).
    public var value: String { String(decoding: valueBytes.readableBytesView, as: UTF8.self) }
}

/// Information about one milter connection, given to the handler factory.
public struct MilterSessionContext: Sendable {
    /// A number unique within this server process.
    public var sessionID: UInt64
    /// The MTA's address on this socket (`127.0.0.1:50123`, `unix`).
    public var peer: String
    /// A logger carrying `milter.session` and `milter.peer` metadata.
    public var logger: Logger

    public init(sessionID: UInt64, peer: String, logger: Logger) {
        self.sessionID = sessionID
        self.peer = peer
        self.logger = logger
    }
}

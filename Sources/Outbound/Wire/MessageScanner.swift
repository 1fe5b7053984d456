/// Learns, from a message fed in chunks, what the client must declare before sending it: its
/// size (for `SIZE=`) and whether it has 8-bit bytes (for `BODY=8BITMIME`).
///
/// The size is counted with the same rules, and the same state carried across chunks, as
/// ``SMTPDataEncoder`` applies when it sends the message: a bare LF, a bare CR and CRLF each
/// become CRLF, a line starting with `.` gets a second `.`, and a message that does not end with
/// a line break gets a final CRLF. So ``wireSize`` is exactly what the encoder writes, and
/// ``MessageProperties/size`` exactly what RFC 1870 asks for.
public struct MessageScanner: Sendable {
    /// Bytes seen.
    public private(set) var byteCount = 0
    /// Whether any byte is ≥ 0x80.
    public private(set) var hasEightBitBytes = false

    /// Bytes the encoder writes for what was seen, without dots added by dot-stuffing.
    private var lineBytes = 0
    /// Dots added by dot-stuffing so far.
    private var stuffedDots = 0
    private var atLineStart = true
    private var afterCR = false

    /// A scanner at the start of a message.
    public init() {}

    /// Scans one chunk.
    public mutating func scan(_ bytes: UnsafeRawBufferPointer) {
        byteCount += bytes.count
        var highBits: UInt8 = 0
        for byte in bytes {
            highBits |= byte
            if afterCR {
                afterCR = false
                if byte == UInt8(ascii: "\n") { continue }
            }
            if byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\n") {
                lineBytes += 2
                afterCR = byte == UInt8(ascii: "\r")
                atLineStart = true
                continue
            }
            if atLineStart, byte == UInt8(ascii: ".") { stuffedDots += 1 }
            atLineStart = false
            lineBytes += 1
        }
        if highBits & 0x80 != 0 { hasEightBitBytes = true }
    }

    /// Scans a chunk held in any contiguous collection.
    public mutating func scan(_ bytes: some Collection<UInt8>) {
        if bytes.withContiguousStorageIfAvailable({ scan(UnsafeRawBufferPointer($0)) }) == nil {
            Array(bytes).withUnsafeBytes { scan($0) }
        }
    }

    /// RFC 1870's message size: the bytes sent after DATA's `354` with CRLF line ends and the
    /// final CRLF, but without the dots added by dot-stuffing and without the terminating `.` line.
    public var messageSize: Int { lineBytes + (atLineStart ? 0 : 2) }

    /// Every byte ``SMTPDataEncoder`` writes for the message, the terminating `.` CRLF included.
    public var wireSize: Int { messageSize + stuffedDots + 3 }

    /// What was learned.
    public var properties: MessageProperties {
        MessageProperties(size: messageSize, hasEightBitBytes: hasEightBitBytes)
    }
}

/// The facts about a message the client needs before MAIL FROM.
public struct MessageProperties: Hashable, Sendable, Codable {
    /// The message size as RFC 1870 defines it for `SIZE=` and as servers compare it with their
    /// limit: the bytes sent after DATA with CRLF line ends (and a final CRLF), without the dots
    /// added by dot-stuffing and without the terminating `.` line (``MessageScanner/messageSize``).
    public var size: Int
    /// Whether the message has bytes ≥ 0x80 (it then needs `BODY=8BITMIME`).
    public var hasEightBitBytes: Bool

    /// Creates properties.
    public init(size: Int, hasEightBitBytes: Bool) {
        self.size = size
        self.hasEightBitBytes = hasEightBitBytes
    }
}

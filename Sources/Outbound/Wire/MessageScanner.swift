/// Learns, from a message fed in chunks, what the client must declare before sending it: the
/// size on the wire (for `SIZE=`) and whether it has 8-bit bytes (for `BODY=8BITMIME`).
public struct MessageScanner: Sendable {
    /// Bytes seen.
    public private(set) var byteCount = 0
    /// Line feeds seen (each may become CRLF on the wire).
    public private(set) var lineFeedCount = 0
    /// Whether any byte is ≥ 0x80.
    public private(set) var hasEightBitBytes = false

    /// A scanner at the start of a message.
    public init() {}

    /// Scans one chunk.
    public mutating func scan(_ bytes: UnsafeRawBufferPointer) {
        byteCount += bytes.count
        var lineFeeds = 0
        var highBits: UInt8 = 0
        for byte in bytes {
            highBits |= byte
            if byte == UInt8(ascii: "\n") { lineFeeds += 1 }
        }
        lineFeedCount += lineFeeds
        if highBits & 0x80 != 0 { hasEightBitBytes = true }
    }

    /// Scans a chunk held in any contiguous collection.
    public mutating func scan(_ bytes: some Collection<UInt8>) {
        if bytes.withContiguousStorageIfAvailable({ scan(UnsafeRawBufferPointer($0)) }) == nil {
            Array(bytes).withUnsafeBytes { scan($0) }
        }
    }

    /// What was learned.
    public var properties: MessageProperties {
        MessageProperties(size: byteCount + lineFeedCount + 3, hasEightBitBytes: hasEightBitBytes)
    }
}

/// The facts about a message the client needs before MAIL FROM.
public struct MessageProperties: Hashable, Sendable, Codable {
    /// An upper bound of the bytes sent after DATA (line feeds counted as CRLF, plus the final dot).
    public var size: Int
    /// Whether the message has bytes ≥ 0x80 (it then needs `BODY=8BITMIME`).
    public var hasEightBitBytes: Bool

    /// Creates properties.
    public init(size: Int, hasEightBitBytes: Bool) {
        self.size = size
        self.hasEightBitBytes = hasEightBitBytes
    }
}

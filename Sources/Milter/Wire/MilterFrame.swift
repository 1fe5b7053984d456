import NIOCore

/// One packet on the wire in either direction: `uint32 length (= 1 + payload)`, a code byte and
/// the payload.
public struct MilterFrame: Hashable, Sendable {
    /// The command (`SMFIC_*`) or response (`SMFIR_*`) byte.
    public var code: UInt8
    /// The bytes after the code.
    public var payload: ByteBuffer

    public init(code: UInt8, payload: ByteBuffer) {
        self.code = code
        self.payload = payload
    }
}

/// Splits a byte stream into ``MilterFrame``s, refusing a length of 0 and lengths above a limit
/// before any payload is buffered ("never trust a length").
///
/// Use it with NIO's `NIOSingleStepByteToMessageProcessor` or `ByteToMessageHandler`, or call
/// ``decode(buffer:)`` directly on an accumulating buffer.
public struct MilterFrameDecoder: NIOSingleStepByteToMessageDecoder {
    public typealias InboundOut = MilterFrame

    /// Largest accepted value of the length field (command byte included).
    public var maximumFrameLength: Int

    /// Default limit for inbound frames: 1 MiB. A single Postfix header may be 100 KiB
    /// (`header_size_limit`), so libmilter's 64 KiB is too small.
    public static let defaultMaximumFrameLength = 1 << 20

    public init(maximumFrameLength: Int = MilterFrameDecoder.defaultMaximumFrameLength) {
        self.maximumFrameLength = maximumFrameLength
    }

    /// Returns the next complete frame, or `nil` when more bytes are needed.
    /// - Throws: ``MilterProtocolError`` with code `.emptyFrame` or `.frameTooLarge`.
    public mutating func decode(buffer: inout ByteBuffer) throws -> MilterFrame? {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else {
            return nil
        }
        guard length >= 1 else {
            throw MilterProtocolError(.emptyFrame, "frame length 0 (a frame carries at least its command byte)")
        }
        guard UInt64(length) <= UInt64(maximumFrameLength) else {
            throw MilterProtocolError(
                .frameTooLarge,
                "frame length \(length) exceeds the limit of \(maximumFrameLength) bytes"
            )
        }
        guard buffer.readableBytes >= 4 + Int(length) else {
            return nil
        }
        buffer.moveReaderIndex(forwardBy: 4)
        let code = buffer.readInteger(as: UInt8.self)!
        let payload = buffer.readSlice(length: Int(length) - 1)!
        return MilterFrame(code: code, payload: payload)
    }

    /// Like ``decode(buffer:)``; at end of stream leftover bytes are a truncated frame.
    /// - Throws: ``MilterProtocolError`` `.truncatedFrame` when the stream ends inside a frame.
    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> MilterFrame? {
        if let frame = try decode(buffer: &buffer) {
            return frame
        }
        if seenEOF, buffer.readableBytes > 0 {
            throw MilterProtocolError(
                .truncatedFrame,
                "connection closed inside a frame (\(buffer.readableBytes) bytes pending)"
            )
        }
        return nil
    }
}

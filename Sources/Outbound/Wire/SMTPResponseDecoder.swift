import NIOCore

/// The NIO decoder around ``SMTPResponseParser``. What may reach it after STARTTLS is checked
/// before it, by ``StartTLSGuard``.
struct SMTPResponseDecoder: NIOSingleStepByteToMessageDecoder {
    typealias InboundOut = SMTPResponse

    private var parser = SMTPResponseParser()

    mutating func decode(buffer: inout ByteBuffer) throws -> SMTPResponse? {
        try parser.parse(&buffer)
    }

    mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> SMTPResponse? {
        try decode(buffer: &buffer)
    }
}

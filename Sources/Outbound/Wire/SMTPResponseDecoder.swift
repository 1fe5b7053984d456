import NIOCore

/// A reply as it comes out of the channel pipeline, with whether more bytes were already waiting
/// behind it. After `220` to STARTTLS nothing may follow in plaintext (a response-injection attack,
/// cf. CVE-2011-0411), so the session refuses to go on when ``hadBytesBehind`` is set there.
struct SMTPInboundResponse: Sendable {
    var response: SMTPResponse
    var hadBytesBehind: Bool
}

/// The NIO decoder around ``SMTPResponseParser``.
struct SMTPResponseDecoder: NIOSingleStepByteToMessageDecoder {
    typealias InboundOut = SMTPInboundResponse

    private var parser = SMTPResponseParser()

    mutating func decode(buffer: inout ByteBuffer) throws -> SMTPInboundResponse? {
        guard let response = try parser.parse(&buffer) else { return nil }
        return SMTPInboundResponse(response: response, hadBytesBehind: buffer.readableBytes > 0)
    }

    mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> SMTPInboundResponse? {
        try decode(buffer: &buffer)
    }
}

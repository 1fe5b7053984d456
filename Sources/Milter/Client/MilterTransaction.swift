import NIOCore

/// One message as an MTA hands it to a filter: envelope, header fields, body and the macros to
/// send at each stage.
public struct MilterTransaction: Sendable {
    /// MAIL FROM.
    public var sender: EnvelopeAddress
    /// RCPT TO, in order.
    public var recipients: [EnvelopeAddress]
    /// Header fields in message order. ``HeaderField/rawValue`` holds the bytes after the colon as
    /// they stand in the message (leading space included; folded lines joined by LF).
    public var headers: [HeaderField]
    /// The body with CRLF line ends.
    public var body: ByteBuffer
    /// Macro values per `SMFIC_MACRO` stage (`M`, `R`, `T`, `L`, `N`, `B`, `E`); a stage with an
    /// entry gets a macro packet before its command, as Postfix sends them.
    public var macros: [MilterCommandCode: [MilterMacro]]

    public init(
        sender: EnvelopeAddress,
        recipients: [EnvelopeAddress],
        headers: [HeaderField],
        body: ByteBuffer,
        macros: [MilterCommandCode: [MilterMacro]] = [:]
    ) {
        self.sender = sender
        self.recipients = recipients
        self.headers = headers
        self.body = body
        self.macros = macros
    }

    /// Splits an RFC 5322 message (CRLF or LF line ends) the way an MTA feeds it to a milter:
    /// header fields unfolded into name and value (continuation lines joined by LF), the header
    /// section ending at the first empty line or at the first line that is not a header field,
    /// and the body rewritten with CRLF line ends.
    public init(
        message: some Collection<UInt8>,
        sender: EnvelopeAddress,
        recipients: [EnvelopeAddress],
        macros: [MilterCommandCode: [MilterMacro]] = [:]
    ) {
        var headers: [HeaderField] = []
        var body = ByteBuffer()
        var inHeaders = true
        let bytes = Array(message)
        var start = 0
        while start < bytes.count {
            var end = start
            while end < bytes.count && bytes[end] != 10 { end += 1 }
            let hasNewline = end < bytes.count
            var lineEnd = end
            if lineEnd > start && bytes[lineEnd - 1] == 13 && hasNewline { lineEnd -= 1 }
            let line = bytes[start..<lineEnd]
            start = end + 1
            if inHeaders {
                if line.isEmpty {
                    inHeaders = false
                    continue
                }
                if let first = line.first, first == 32 || first == 9, !headers.isEmpty {
                    headers[headers.count - 1].valueBytes.writeInteger(UInt8(10))
                    headers[headers.count - 1].valueBytes.writeBytes(line)
                    continue
                }
                if let colon = line.firstIndex(of: 58), colon > line.startIndex,
                    line[line.startIndex..<colon].allSatisfy({ $0 > 32 && $0 < 127 })
                {
                    let name = String(decoding: line[line.startIndex..<colon], as: UTF8.self)
                    headers.append(HeaderField(name: name, rawValue: Array(line[(colon + 1)...])))
                    continue
                }
                inHeaders = false
            }
            body.writeBytes(line)
            body.writeStaticString("\r\n")
        }
        self.init(sender: sender, recipients: recipients, headers: headers, body: body, macros: macros)
    }

    /// The message as RFC 5322 bytes with CRLF line ends.
    public var messageBytes: ByteBuffer {
        var out = ByteBuffer()
        for field in headers {
            out.writeString(field.name)
            out.writeStaticString(":")
            var previous: UInt8 = 0
            for byte in field.valueBytes.readableBytesView {
                if byte == 10 && previous != 13 { out.writeInteger(UInt8(13)) }
                out.writeInteger(byte)
                previous = byte
            }
            out.writeStaticString("\r\n")
        }
        out.writeStaticString("\r\n")
        out.writeImmutableBuffer(body)
        return out
    }
}

/// What a filter made of one ``MilterTransaction``.
public struct MilterTransactionResult: Sendable {
    /// One command and its reply.
    public struct Step: Sendable {
        /// `mail`, `rcpt <a@example.org>`, `header Subject`, `eom`, …
        public var name: String
        /// The filter's answer.
        public var reply: MilterClientReply
    }

    /// Every step sent, in order.
    public var steps: [Step]
    /// The response that decided the message: the end-of-message reply, or the earlier reply that
    /// ended it (reject, tempfail, discard, accept, custom reply).
    public var decision: MilterResponse
    /// The step at which ``decision`` came.
    public var decidedAt: String
    /// Recipients the filter did not refuse.
    public var acceptedRecipients: [EnvelopeAddress]
    /// Modifications sent at end of message, in order.
    public var modifications: [MilterResponse]
    /// The quarantine reason, if the filter quarantined the message.
    public var quarantineReason: String?
    /// Progress packets received.
    public var progressCount: Int
}

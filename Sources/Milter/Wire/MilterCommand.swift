import NIOCore

/// A packet the MTA sends to the filter (`SMFIC_*`). See docs/milter-protocol.md.
public enum MilterCommand: Hashable, Sendable {
    /// `'O'` SMFIC_OPTNEG: version, offered actions and protocol options.
    case optionNegotiation(OptionNegotiation)
    /// `'D'` SMFIC_MACRO: macros for the command named by `stage` (any byte: Postfix also sends
    /// `L`, `B` and `U`), possibly none at all.
    case macro(stage: MilterCommandCode, macros: [MilterMacro])
    /// `'C'` SMFIC_CONNECT: client host name and address.
    case connect(hostname: String, address: ConnectAddress)
    /// `'H'` SMFIC_HELO: the HELO/EHLO argument.
    case helo(String)
    /// `'M'` SMFIC_MAIL: the sender as typed (`<a@example.com>`) and ESMTP parameters.
    case mail(sender: String, parameters: [String])
    /// `'R'` SMFIC_RCPT: one recipient as typed and its ESMTP parameters.
    case recipient(String, parameters: [String])
    /// `'T'` SMFIC_DATA.
    case data
    /// `'L'` SMFIC_HEADER: name and raw value bytes (multi-line values joined with bare LF; the
    /// value may be 8-bit, e.g. raw Shift_JIS). The value is a slice of the received frame.
    case header(name: String, value: ByteBuffer)
    /// `'N'` SMFIC_EOH.
    case endOfHeaders
    /// `'B'` SMFIC_BODY: a body chunk, CRLF line ends, at most 65,535 bytes from real MTAs.
    case body(ByteBuffer)
    /// `'E'` SMFIC_BODYEOB: end of message; libmilter also accepts a last body chunk here.
    case endOfMessage(finalChunk: ByteBuffer?)
    /// `'U'` SMFIC_UNKNOWN: an SMTP command line the MTA did not recognise.
    case unknown(String)
    /// `'A'` SMFIC_ABORT: abandon the current message (may come at any time, repeatedly).
    case abort
    /// `'Q'` SMFIC_QUIT: close the connection.
    case quit
    /// `'K'` SMFIC_QUIT_NC: the SMTP session ended; a new `CONNECT` may follow on this socket.
    case quitNewConnection

    /// The command byte this value is sent with.
    public var code: MilterCommandCode {
        switch self {
        case .optionNegotiation: .optionNegotiation
        case .macro: .macro
        case .connect: .connect
        case .helo: .helo
        case .mail: .mail
        case .recipient: .recipient
        case .data: .data
        case .header: .header
        case .endOfHeaders: .endOfHeaders
        case .body: .body
        case .endOfMessage: .endOfMessage
        case .unknown: .unknown
        case .abort: .abort
        case .quit: .quit
        case .quitNewConnection: .quitNewConnection
        }
    }
}

extension MilterCommand {
    /// Decodes the payload of one frame the MTA sent.
    /// - Throws: ``MilterProtocolError`` `.unknownCommand` for a code that is no `SMFIC_*`, and
    ///   `.malformedPayload` for a payload of the wrong shape.
    public init(frame: MilterFrame) throws {
        var payload = frame.payload
        let code = MilterCommandCode(rawValue: frame.code)
        switch code {
        case .optionNegotiation:
            // libmilter reads the first 12 bytes and ignores anything after them.
            let version = try payload.readMilterUInt32("SMFIC_OPTNEG version")
            let actions = try payload.readMilterUInt32("SMFIC_OPTNEG actions")
            let options = try payload.readMilterUInt32("SMFIC_OPTNEG protocol")
            self = .optionNegotiation(
                OptionNegotiation(
                    version: version,
                    actions: MilterActions(rawValue: actions),
                    protocolOptions: MilterProtocolOptions(rawValue: options)
                )
            )
        case .macro:
            guard let stage = payload.readInteger(as: UInt8.self) else {
                throw MilterProtocolError(.malformedPayload, "SMFIC_MACRO without a stage byte")
            }
            var macros: [MilterMacro] = []
            while payload.readableBytes > 0 {
                let name = try payload.readMilterCString("SMFIC_MACRO name")
                // An odd list (a name without value) is tolerated: the value is empty.
                let value = payload.readableBytes > 0 ? try payload.readMilterCString("SMFIC_MACRO value") : ""
                macros.append(MilterMacro(name: name, value: value))
            }
            self = .macro(stage: MilterCommandCode(rawValue: stage), macros: macros)
        case .connect:
            let hostname = try payload.readMilterCString("SMFIC_CONNECT host name")
            guard let family = payload.readInteger(as: UInt8.self) else {
                throw MilterProtocolError(.malformedPayload, "SMFIC_CONNECT without an address family")
            }
            let address: ConnectAddress
            if family == UInt8(ascii: "U") {
                address = .unknown
            } else {
                guard let port = payload.readInteger(as: UInt16.self) else {
                    throw MilterProtocolError(.malformedPayload, "SMFIC_CONNECT without a port")
                }
                let host = try payload.readMilterCString("SMFIC_CONNECT address")
                switch family {
                case UInt8(ascii: "4"): address = .inet(address: host, port: port)
                case UInt8(ascii: "6"): address = .inet6(address: host, port: port)
                case UInt8(ascii: "L"): address = .unix(path: host)
                default:
                    throw MilterProtocolError(
                        .malformedPayload,
                        "SMFIC_CONNECT address family \(milterCodeDescription(family)) is not U, L, 4 or 6"
                    )
                }
            }
            try payload.expectMilterPayloadEnd("SMFIC_CONNECT address")
            self = .connect(hostname: hostname, address: address)
        case .helo:
            let name = try payload.readMilterCString("SMFIC_HELO name")
            try payload.expectMilterPayloadEnd("SMFIC_HELO name")
            self = .helo(name)
        case .mail:
            guard payload.readableBytes > 0 else {
                throw MilterProtocolError(.malformedPayload, "SMFIC_MAIL without a sender")
            }
            let sender = try payload.readMilterCString("SMFIC_MAIL sender")
            self = .mail(sender: sender, parameters: try payload.readMilterArgv("SMFIC_MAIL argument"))
        case .recipient:
            guard payload.readableBytes > 0 else {
                throw MilterProtocolError(.malformedPayload, "SMFIC_RCPT without a recipient")
            }
            let recipient = try payload.readMilterCString("SMFIC_RCPT recipient")
            self = .recipient(recipient, parameters: try payload.readMilterArgv("SMFIC_RCPT argument"))
        case .data:
            try payload.expectMilterPayloadEnd("SMFIC_DATA")
            self = .data
        case .header:
            let name = try payload.readMilterCString("SMFIC_HEADER name")
            let value = try payload.readMilterCSlice("SMFIC_HEADER value")
            try payload.expectMilterPayloadEnd("SMFIC_HEADER value")
            self = .header(name: name, value: value)
        case .endOfHeaders:
            try payload.expectMilterPayloadEnd("SMFIC_EOH")
            self = .endOfHeaders
        case .body:
            self = .body(payload)
        case .endOfMessage:
            self = .endOfMessage(finalChunk: payload.readableBytes > 0 ? payload : nil)
        case .unknown:
            let line = try payload.readMilterCString("SMFIC_UNKNOWN command")
            try payload.expectMilterPayloadEnd("SMFIC_UNKNOWN command")
            self = .unknown(line)
        case .abort:
            try payload.expectMilterPayloadEnd("SMFIC_ABORT")
            self = .abort
        case .quit:
            try payload.expectMilterPayloadEnd("SMFIC_QUIT")
            self = .quit
        case .quitNewConnection:
            try payload.expectMilterPayloadEnd("SMFIC_QUIT_NC")
            self = .quitNewConnection
        default:
            throw MilterProtocolError(.unknownCommand, "command byte \(code) is not an SMFIC_* code")
        }
    }
}

extension ByteBuffer {
    /// Writes one complete command frame (length, code, payload).
    /// Strings must not contain NUL; callers validate (see ``MessageModifier``).
    @discardableResult
    public mutating func writeMilterCommand(_ command: MilterCommand) -> Int {
        writeMilterFrame(code: command.code.rawValue) { buffer in
            switch command {
            case .optionNegotiation(let negotiation):
                buffer.writeMilterNegotiation(negotiation)
            case .macro(let stage, let macros):
                buffer.writeInteger(stage.rawValue)
                for macro in macros {
                    buffer.writeMilterCString(macro.name)
                    buffer.writeMilterCString(macro.value)
                }
            case .connect(let hostname, let address):
                buffer.writeMilterCString(hostname)
                buffer.writeInteger(address.familyByte)
                switch address {
                case .unknown:
                    break
                case .unix(let path):
                    buffer.writeInteger(UInt16(0))
                    buffer.writeMilterCString(path)
                case .inet(let host, let port), .inet6(let host, let port):
                    buffer.writeInteger(port)
                    buffer.writeMilterCString(host)
                }
            case .helo(let name):
                buffer.writeMilterCString(name)
            case .mail(let sender, let parameters):
                buffer.writeMilterCString(sender)
                for parameter in parameters { buffer.writeMilterCString(parameter) }
            case .recipient(let recipient, let parameters):
                buffer.writeMilterCString(recipient)
                for parameter in parameters { buffer.writeMilterCString(parameter) }
            case .header(let name, let value):
                buffer.writeMilterCString(name)
                buffer.writeImmutableBuffer(value)
                buffer.writeInteger(UInt8(0))
            case .body(let chunk):
                buffer.writeImmutableBuffer(chunk)
            case .endOfMessage(let finalChunk):
                if let finalChunk { buffer.writeImmutableBuffer(finalChunk) }
            case .unknown(let line):
                buffer.writeMilterCString(line)
            case .data, .endOfHeaders, .abort, .quit, .quitNewConnection:
                break
            }
        }
    }

    mutating func writeMilterNegotiation(_ negotiation: OptionNegotiation) {
        writeInteger(negotiation.version)
        writeInteger(negotiation.actions.rawValue)
        writeInteger(negotiation.protocolOptions.rawValue)
        for request in negotiation.macroRequests {
            writeInteger(request.stage.rawValue)
            writeMilterCString(request.names.joined(separator: " "))
        }
    }
}

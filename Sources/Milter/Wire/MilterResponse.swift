import NIOCore

/// A packet the filter sends to the MTA (`SMFIR_*`, plus the `'O'` negotiation reply).
/// See docs/milter-protocol.md for where each one is legal.
public enum MilterResponse: Hashable, Sendable {
    /// `'O'` reply to SMFIC_OPTNEG: version, requested actions and options, macro lists.
    case optionNegotiation(OptionNegotiation)
    /// `'c'` SMFIR_CONTINUE (at end of message: accept).
    case `continue`
    /// `'a'` SMFIR_ACCEPT.
    case accept
    /// `'r'` SMFIR_REJECT.
    case reject
    /// `'t'` SMFIR_TEMPFAIL.
    case tempfail
    /// `'d'` SMFIR_DISCARD.
    case discard
    /// `'s'` SMFIR_SKIP.
    case skip
    /// `'4'` SMFIR_SHUTDOWN: 421 and disconnect.
    case shutdown
    /// `'f'` SMFIR_CONN_FAIL (defined, handled by no MTA).
    case connectionFailure
    /// `'y'` SMFIR_REPLYCODE: the full reply text, e.g. `550 5.7.1 no` or multi-line with CRLF.
    case replyCode(String)
    /// `'p'` SMFIR_PROGRESS: not final.
    case progress
    /// `'q'` SMFIR_QUARANTINE: not final.
    case quarantine(reason: String)
    /// `'h'` SMFIR_ADDHEADER.
    case addHeader(name: String, value: String)
    /// `'i'` SMFIR_INSHEADER: 0-based position among all headers, the MTA's own Received included.
    case insertHeader(index: UInt32, name: String, value: String)
    /// `'m'` SMFIR_CHGHEADER: 1-based occurrence of `name`; an empty value deletes it.
    case changeHeader(index: UInt32, name: String, value: String)
    /// `'+'` SMFIR_ADDRCPT.
    case addRecipient(String)
    /// `'2'` SMFIR_ADDRCPT_PAR: one string of space-separated ESMTP parameters, or none.
    case addRecipientWithParameters(String, parameters: String?)
    /// `'-'` SMFIR_DELRCPT.
    case deleteRecipient(String)
    /// `'e'` SMFIR_CHGFROM: one string of space-separated ESMTP parameters, or none.
    case changeSender(String, parameters: String?)
    /// `'b'` SMFIR_REPLBODY: one chunk; the first chunk replaces the body, the rest append.
    case replaceBody(ByteBuffer)
    /// `'l'` SMFIR_SETSYMLIST: a macro list as a packet of its own (no MTA accepts it; lists
    /// travel inside the negotiation reply).
    case setSymbolList(MacroRequest)

    /// The response byte this value is sent with.
    public var code: MilterResponseCode {
        switch self {
        case .optionNegotiation: .optionNegotiation
        case .continue: .continue
        case .accept: .accept
        case .reject: .reject
        case .tempfail: .tempfail
        case .discard: .discard
        case .skip: .skip
        case .shutdown: .shutdown
        case .connectionFailure: .connectionFailure
        case .replyCode: .replyCode
        case .progress: .progress
        case .quarantine: .quarantine
        case .addHeader: .addHeader
        case .insertHeader: .insertHeader
        case .changeHeader: .changeHeader
        case .addRecipient: .addRecipient
        case .addRecipientWithParameters: .addRecipientWithParameters
        case .deleteRecipient: .deleteRecipient
        case .changeSender: .changeSender
        case .replaceBody: .replaceBody
        case .setSymbolList: .setSymbolList
        }
    }

    /// Whether this response ends the MTA's wait for a reply (everything except progress,
    /// quarantine and the end-of-message modifications).
    public var isFinal: Bool {
        switch self {
        case .continue, .accept, .reject, .tempfail, .discard, .skip, .shutdown, .connectionFailure,
            .replyCode, .optionNegotiation:
            true
        case .progress, .quarantine, .addHeader, .insertHeader, .changeHeader, .addRecipient,
            .addRecipientWithParameters, .deleteRecipient, .changeSender, .replaceBody, .setSymbolList:
            false
        }
    }

    /// The action a modification needs to have been negotiated, or `nil` for responses that need none.
    public var requiredAction: MilterActions? {
        switch self {
        case .addHeader, .insertHeader: .addHeaders
        case .changeHeader: .changeHeaders
        case .addRecipient: .addRecipients
        case .addRecipientWithParameters: .addRecipientsWithParameters
        case .deleteRecipient: .deleteRecipients
        case .changeSender: .changeSender
        case .replaceBody: .changeBody
        case .quarantine: .quarantine
        case .setSymbolList: .setSymbolList
        default: nil
        }
    }
}

extension MilterResponse {
    /// Decodes one frame the filter sent (MTA side).
    /// - Throws: ``MilterProtocolError`` `.unknownResponse` or `.malformedPayload`; like Postfix,
    ///   a payload with extra bytes or an unterminated string is an error.
    public init(frame: MilterFrame) throws {
        var payload = frame.payload
        let code = MilterResponseCode(rawValue: frame.code)
        func end(_ what: String) throws { try payload.expectMilterPayloadEnd(what) }
        switch code {
        case .optionNegotiation:
            let version = try payload.readMilterUInt32("negotiation reply version")
            let actions = try payload.readMilterUInt32("negotiation reply actions")
            let options = try payload.readMilterUInt32("negotiation reply protocol")
            var requests: [MacroRequest] = []
            while payload.readableBytes > 0 {
                let stage = try payload.readMilterUInt32("macro list stage")
                let names = try payload.readMilterCString("macro list")
                requests.append(MacroRequest(stage: MacroStage(rawValue: stage), names: splitMacroNames(names)))
            }
            self = .optionNegotiation(
                OptionNegotiation(
                    version: version,
                    actions: MilterActions(rawValue: actions),
                    protocolOptions: MilterProtocolOptions(rawValue: options),
                    macroRequests: requests
                )
            )
        case .continue: try end("SMFIR_CONTINUE"); self = .continue
        case .accept: try end("SMFIR_ACCEPT"); self = .accept
        case .reject: try end("SMFIR_REJECT"); self = .reject
        case .tempfail: try end("SMFIR_TEMPFAIL"); self = .tempfail
        case .discard: try end("SMFIR_DISCARD"); self = .discard
        case .skip: try end("SMFIR_SKIP"); self = .skip
        case .shutdown: try end("SMFIR_SHUTDOWN"); self = .shutdown
        case .connectionFailure: try end("SMFIR_CONN_FAIL"); self = .connectionFailure
        case .progress: try end("SMFIR_PROGRESS"); self = .progress
        case .replyCode:
            let text = try payload.readMilterCString("SMFIR_REPLYCODE text")
            try end("SMFIR_REPLYCODE text")
            self = .replyCode(text)
        case .quarantine:
            let reason = try payload.readMilterCString("SMFIR_QUARANTINE reason")
            try end("SMFIR_QUARANTINE reason")
            self = .quarantine(reason: reason)
        case .addHeader:
            let name = try payload.readMilterCString("SMFIR_ADDHEADER name")
            let value = try payload.readMilterCString("SMFIR_ADDHEADER value")
            try end("SMFIR_ADDHEADER value")
            self = .addHeader(name: name, value: value)
        case .insertHeader, .changeHeader:
            let label = code == .insertHeader ? "SMFIR_INSHEADER" : "SMFIR_CHGHEADER"
            let index = try payload.readMilterUInt32("\(label) index")
            let name = try payload.readMilterCString("\(label) name")
            let value = try payload.readMilterCString("\(label) value")
            try end("\(label) value")
            self =
                code == .insertHeader
                ? .insertHeader(index: index, name: name, value: value)
                : .changeHeader(index: index, name: name, value: value)
        case .addRecipient:
            let recipient = try payload.readMilterCString("SMFIR_ADDRCPT recipient")
            try end("SMFIR_ADDRCPT recipient")
            self = .addRecipient(recipient)
        case .deleteRecipient:
            let recipient = try payload.readMilterCString("SMFIR_DELRCPT recipient")
            try end("SMFIR_DELRCPT recipient")
            self = .deleteRecipient(recipient)
        case .addRecipientWithParameters, .changeSender:
            let label = code == .changeSender ? "SMFIR_CHGFROM" : "SMFIR_ADDRCPT_PAR"
            let address = try payload.readMilterCString("\(label) address")
            let parameters = payload.readableBytes > 0 ? try payload.readMilterCString("\(label) parameters") : nil
            try end("\(label) parameters")
            self =
                code == .changeSender
                ? .changeSender(address, parameters: parameters)
                : .addRecipientWithParameters(address, parameters: parameters)
        case .replaceBody:
            self = .replaceBody(payload)
        case .setSymbolList:
            let stage = try payload.readMilterUInt32("SMFIR_SETSYMLIST stage")
            let names = try payload.readMilterCString("SMFIR_SETSYMLIST names")
            try end("SMFIR_SETSYMLIST names")
            self = .setSymbolList(MacroRequest(stage: MacroStage(rawValue: stage), names: splitMacroNames(names)))
        default:
            throw MilterProtocolError(.unknownResponse, "response byte \(code) is not an SMFIR_* code")
        }
    }
}

func splitMacroNames(_ names: String) -> [String] {
    names.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
}

extension ByteBuffer {
    /// Writes one complete response frame (length, code, payload).
    /// Strings must not contain NUL; callers validate (see ``MessageModifier``).
    @discardableResult
    public mutating func writeMilterResponse(_ response: MilterResponse) -> Int {
        writeMilterFrame(code: response.code.rawValue) { buffer in
            switch response {
            case .optionNegotiation(let negotiation):
                buffer.writeMilterNegotiation(negotiation)
            case .continue, .accept, .reject, .tempfail, .discard, .skip, .shutdown, .connectionFailure,
                .progress:
                break
            case .replyCode(let text):
                buffer.writeMilterCString(text)
            case .quarantine(let reason):
                buffer.writeMilterCString(reason)
            case .addHeader(let name, let value):
                buffer.writeMilterCString(name)
                buffer.writeMilterCString(value)
            case .insertHeader(let index, let name, let value), .changeHeader(let index, let name, let value):
                buffer.writeInteger(index)
                buffer.writeMilterCString(name)
                buffer.writeMilterCString(value)
            case .addRecipient(let recipient), .deleteRecipient(let recipient):
                buffer.writeMilterCString(recipient)
            case .addRecipientWithParameters(let address, let parameters),
                .changeSender(let address, let parameters):
                buffer.writeMilterCString(address)
                if let parameters { buffer.writeMilterCString(parameters) }
            case .replaceBody(let chunk):
                buffer.writeImmutableBuffer(chunk)
            case .setSymbolList(let request):
                buffer.writeInteger(request.stage.rawValue)
                buffer.writeMilterCString(request.names.joined(separator: " "))
            }
        }
    }
}

import NIOCore

extension MilterClientSession {
    /// Sends one message from MAIL to end of message as Postfix does, stopping where the filter
    /// decides, and ends with `SMFIC_ABORT` (Postfix resets every transaction that way).
    ///
    /// Header values are sent without the one leading space the MTA removes, unless the filter
    /// negotiated `SMFIP_HDR_LEADSPC`. The header modifications in the result are in the same
    /// form either way: under `SMFIP_HDR_LEADSPC` the filter sends the space after the colon
    /// itself, and one leading space is taken off its values (as an MTA writes `Name:` + value).
    public func send(_ transaction: MilterTransaction, abortAfterwards: Bool = true) async throws -> MilterTransactionResult {
        var steps: [MilterTransactionResult.Step] = []
        var interim: [MilterResponse] = []
        func record(_ name: String, _ reply: MilterClientReply) {
            steps.append(.init(name: name, reply: reply))
            interim += reply.interim
        }
        func result(_ decision: MilterResponse, _ at: String, _ accepted: [EnvelopeAddress]) async throws -> MilterTransactionResult {
            if abortAfterwards && !isClosed { try await abort() }
            return MilterTransactionResult(
                steps: steps,
                decision: decision,
                decidedAt: at,
                acceptedRecipients: accepted,
                modifications: interim.filter { $0.requiredAction != nil && !$0.isQuarantine }.map(normalized),
                quarantineReason: interim.compactMap(\.quarantineReason).first,
                progressCount: interim.filter { $0 == .progress }.count
            )
        }
        let leadingSpaceNegotiated = negotiated.protocolOptions.contains(.headerLeadingSpace)
        func normalized(_ response: MilterResponse) -> MilterResponse {
            guard leadingSpaceNegotiated else { return response }
            func trim(_ value: String) -> String { value.hasPrefix(" ") ? String(value.dropFirst()) : value }
            switch response {
            case .addHeader(let name, let value): return .addHeader(name: name, value: trim(value))
            case .insertHeader(let index, let name, let value): return .insertHeader(index: index, name: name, value: trim(value))
            case .changeHeader(let index, let name, let value) where !value.isEmpty: return .changeHeader(index: index, name: name, value: trim(value))
            default: return response
            }
        }
        let macros = transaction.macros
        let mail = try await mail(transaction.sender, macros: macros[.mail])
        record("mail \(transaction.sender.raw)", mail)
        if !mail.continues { return try await result(mail.response ?? .continue, "mail", []) }

        var accepted: [EnvelopeAddress] = []
        var lastRefusal: MilterResponse?
        for recipient in transaction.recipients {
            let reply = try await self.recipient(recipient, macros: macros[.recipient])
            record("rcpt \(recipient.raw)", reply)
            switch reply.response {
            case .reject?, .tempfail?, .replyCode?:
                lastRefusal = reply.response
            case .accept?, .discard?, .shutdown?:
                return try await result(reply.response!, "rcpt", accepted + [recipient])
            default:
                accepted.append(recipient)
            }
        }
        guard !accepted.isEmpty else {
            return try await result(lastRefusal ?? .reject, "rcpt", [])
        }
        let data = try await data(macros: macros[.data])
        record("data", data)
        if !data.continues { return try await result(data.response!, "data", accepted) }

        let leadingSpace = negotiated.protocolOptions.contains(.headerLeadingSpace)
        for field in transaction.headers {
            var value = field.valueBytes
            if !leadingSpace, value.readableBytesView.first == 32 { value.moveReaderIndex(forwardBy: 1) }
            let reply = try await header(HeaderField(name: field.name, valueBytes: value), macros: macros[.header])
            record("header \(field.name)", reply)
            if !reply.continues, let response = reply.response {
                return try await result(response, "header", accepted)
            }
        }
        let eoh = try await endOfHeaders(macros: macros[.endOfHeaders])
        record("eoh", eoh)
        if !eoh.continues { return try await result(eoh.response!, "eoh", accepted) }

        if transaction.body.readableBytes > 0 {
            let body = try await body(transaction.body, macros: macros[.body])
            record("body", body)
            if !body.continues, let response = body.response {
                return try await result(response, "body", accepted)
            }
        }
        let eom = try await endOfMessage(macros: macros[.endOfMessage])
        record("eom", eom)
        return try await result(eom.response ?? .continue, "eom", accepted)
    }
}

extension MilterResponse {
    var isQuarantine: Bool {
        if case .quarantine = self { return true }
        return false
    }

    var quarantineReason: String? {
        if case .quarantine(let reason) = self { return reason }
        return nil
    }
}

import NIOCore

extension MilterTransaction {
    /// The message as an MTA would deliver it after these modifications, applied in order with
    /// Postfix's rules: added headers get one space after the colon; `SMFIR_CHGHEADER` counts
    /// occurrences of the name from 1 (0 is read as 1), an empty value deletes and an index past the
    /// last occurrence appends; `SMFIR_INSHEADER` positions count from 0 (this model has no hidden
    /// `Received:`); `SMFIR_DELRCPT` removes every recipient with that address; the first
    /// `SMFIR_REPLBODY` replaces the body and later ones append.
    public func applying(_ modifications: [MilterResponse]) -> MilterTransaction {
        var result = self
        var bodyReplaced = false
        for modification in modifications {
            switch modification {
            case .addHeader(let name, let value):
                result.headers.append(HeaderField(name: name, rawValue: Array((" " + value).utf8)))
            case .insertHeader(let index, let name, let value):
                let position = min(Int(index), result.headers.count)
                result.headers.insert(HeaderField(name: name, rawValue: Array((" " + value).utf8)), at: position)
            case .changeHeader(let index, let name, let value):
                let wanted = max(1, Int(index))
                var seen = 0
                var found: Int?
                for (position, field) in result.headers.enumerated()
                where field.name.lowercased() == name.lowercased() {
                    seen += 1
                    if seen == wanted {
                        found = position
                        break
                    }
                }
                if let found {
                    if value.isEmpty {
                        result.headers.remove(at: found)
                    } else {
                        result.headers[found].valueBytes = ByteBuffer(string: " " + value)
                    }
                } else if !value.isEmpty {
                    result.headers.append(HeaderField(name: name, rawValue: Array((" " + value).utf8)))
                }
            case .addRecipient(let recipient):
                result.recipients.append(EnvelopeAddress(raw: recipient))
            case .addRecipientWithParameters(let recipient, let parameters):
                result.recipients.append(
                    EnvelopeAddress(raw: recipient, parameters: parameters.map { $0.split(separator: " ").map(String.init) } ?? [])
                )
            case .deleteRecipient(let recipient):
                let address = EnvelopeAddress(raw: recipient).address.lowercased()
                result.recipients.removeAll { $0.address.lowercased() == address }
            case .changeSender(let sender, let parameters):
                result.sender = EnvelopeAddress(
                    raw: sender,
                    parameters: parameters.map { $0.split(separator: " ").map(String.init) } ?? []
                )
            case .replaceBody(var chunk):
                if !bodyReplaced {
                    result.body = ByteBuffer()
                    bodyReplaced = true
                }
                result.body.writeBuffer(&chunk)
            default:
                break
            }
        }
        return result
    }
}

import MailMessage

/// Step 0: signatures. A copy that is changed cannot stay signed, and the rewrites refuse to
/// touch signed content: every multipart/signed — of the message and of the messages forwarded
/// in it (an unchecked signature must not shield a forwarded mail from being disarmed) — gives
/// way to the content it signed, and the signature part goes.
extension CopySanitizer {
    /// How many signatures are unwrapped one inside the other at the most.
    static let unwrapLimit = 128

    /// Unwraps the signatures; returns whether there were any.
    func removeSignatures(_ copy: inout SanitizedCopy) throws(CopySanitizerError) -> Bool {
        var unwrapped = false
        // Outermost first: the rewrite refuses content under a signature, and a signed message
        // can be signed again (triple wrapping).
        for _ in 0..<Self.unwrapLimit {
            let signed = Self.outermostSigned(copy.message)
            guard !signed.isEmpty else { return unwrapped }
            unwrapped = true
            try attempt(.signature) {
                try copy.message.modifyParts(at: signed.map(\.address)) { entity, _ in
                    guard case .multipart(let multipart) = entity.body, let content = multipart.parts.first?.entity else {
                        entity.replaceContent(with: .text(""))
                        return
                    }
                    entity.replaceContent(with: content)
                }
            }
            copy.notes += signed.map { "signature removed (multipart/signed at \(Self.place($0)))" }
        }
        throw CopySanitizerError(step: .signature, reason: "signatures nested deeper than \(Self.unwrapLimit) levels")
    }

    /// The multipart/signed entities, forwarded messages' included, that no other one encloses.
    static func outermostSigned(_ message: MailMessage) -> [LocatedEntity] {
        outermost(message.entities.filter { $0.entity.isMultipart && $0.entity.contentType.mimeType == "multipart/signed" }, includingForwarded: true)
    }
}

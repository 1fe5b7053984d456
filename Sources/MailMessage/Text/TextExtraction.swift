extension MailMessage {
    /// The message as plain text for search indexes: every body text part in document order
    /// (both alternatives, and the bodies of forwarded messages), transfer-decoded and
    /// charset-converted, HTML reduced to text; parts joined by a blank line.
    public func plainText(structure: MessageStructure? = nil) -> String {
        var notes = TextDecoder.Notes()
        return plainText(structure: structure, notes: &notes)
    }

    /// ``plainText(structure:)``, recording what charset decoding noticed.
    public func plainText(structure: MessageStructure? = nil, notes: inout TextDecoder.Notes) -> String {
        let structure = structure ?? MessageStructure(self, scanUUEncode: false)
        var pieces = [String]()
        for part in structure.bodyParts {
            guard let entity = entity(at: part.address), let text = try? entity.decodedText(notes: &notes) else { continue }
            let plain = String(String.UnicodeScalarView(text.unicodeScalars.filter { $0 != "\r" }))
            pieces.append(part.contentType == "text/html" ? HTMLText.plainText(plain) : plain)
        }
        return pieces.joined(separator: "\n\n")
    }
}

import MailMessage

/// Step 2: HTML → text. Every HTML body of the message itself (not of a forwarded message)
/// becomes text/plain UTF-8 (``HTMLText/plainText(_:)``) — except the HTML alternative of a
/// multipart/alternative that already has plain text: that alternative is dropped instead,
/// with its multipart/related resources. The inline resources of a multipart/related whose
/// HTML went go too: nothing refers to them any more.
extension CopySanitizer {
    func convertHTMLToText(_ copy: inout SanitizedCopy) throws(CopySanitizerError) {
        let structure = MessageStructure(copy.message, scanUUEncode: false)
        let html = structure.bodyParts.filter { $0.contentType == "text/html" && $0.insideMessage == nil }
        guard !html.isEmpty else { return }
        let entities = Dictionary(structure.entities.map { ($0.address, $0) }, uniquingKeysWith: { first, _ in first })
        var converted = [[Int]]()
        var dropped = Set<[Int]>()
        for part in html {
            let parent = entities[Array(part.address.dropLast())]
            let related = part.address.isEmpty || parent?.entity.contentType.mimeType != "multipart/related" ? nil : parent
            let holder = related?.address ?? part.address
            if Self.hasPlainTextAlternative(holder, structure, entities) {
                dropped.insert(holder)
            } else {
                converted.append(part.address)
            }
        }
        // Every HTML body is gone now: the inline resources of a multipart/related around one
        // (Outlook: related > [alternative > [text, html], images]) are orphans.
        for located in structure.entities where located.insideMessage == nil && located.entity.contentType.mimeType == "multipart/related" {
            guard html.contains(where: { $0.address.starts(with: located.address) }), !dropped.contains(where: { located.address.starts(with: $0) }) else { continue }
            let resources = structure.attachments.filter { $0.role == .inline && Array($0.address.dropLast()) == located.address }
            dropped.formUnion(resources.map(\.address))
        }
        try attempt(.htmlToText) {
            try copy.message.modifyParts(at: converted) { entity, _ in
                let html = String(String.UnicodeScalarView(try entity.decodedText().unicodeScalars.filter { $0 != "\r" }))
                entity.replaceContent(with: .text(HTMLText.plainText(html), charset: .utf8))
            }
            try copy.message.removeParts(at: Array(dropped))
        }
        copy.htmlPartsConverted += html.count
        if !converted.isEmpty { copy.notes.append("\(converted.count) HTML part(s) converted to text") }
        if !dropped.isEmpty { copy.notes.append("\(dropped.count) HTML alternative(s) or orphaned resource(s) dropped") }
    }

    /// Whether `holder` (an HTML part, or the multipart/related around it) is one alternative
    /// of a multipart/alternative whose other alternatives include plain text — and holds no
    /// file the user sent, which dropping it would lose.
    private static func hasPlainTextAlternative(_ holder: [Int], _ structure: MessageStructure, _ entities: [[Int]: LocatedEntity]) -> Bool {
        guard let last = holder.last, let alternative = entities[Array(holder.dropLast())],
            alternative.entity.contentType.mimeType == "multipart/alternative"
        else { return false }
        let siblingText = structure.bodyParts.contains { part in
            part.contentType == "text/plain" && part.address.starts(with: alternative.address) && part.address.count > holder.count - 1
                && part.address[holder.count - 1] != last
        }
        let holdsFiles = structure.attachments.contains { $0.isUserAttachment && $0.address.starts(with: holder) }
        return siblingText && !holdsFiles
    }
}

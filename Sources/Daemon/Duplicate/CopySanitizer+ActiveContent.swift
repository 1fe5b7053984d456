import Archive
import MailMessage

/// Step 3: active and remote content. Every HTML body kept (forwarded messages' too, except
/// content a forwarded message's signature covers) goes
/// through the archive's ``HTMLSanitizer``: scripts, event handlers, forms, frames, objects and
/// everything that would load from elsewhere are removed; `cid:` images stay `cid:`, links stay
/// links (without `target`). The result is written back as a UTF-8 document.
extension CopySanitizer {
    func stripActiveContent(_ copy: inout SanitizedCopy) throws(CopySanitizerError) {
        let (html, signedLeft) = Self.bodyPartsIncludingForwarded(copy.message, ["text/html"])
        if signedLeft > 0 { copy.notes.append("\(signedLeft) signed HTML part(s) of a forwarded message left as they are") }
        guard !html.isEmpty else { return }
        let sanitizer = HTMLSanitizer(inlineImage: HTMLSanitizer.keepingContentIDs, linksOpenInNewWindow: false)
        var removed = 0
        try attempt(.activeContent) {
            try copy.message.modifyParts(at: html.map(\.address)) { entity, address in
                let result = sanitizer.sanitize(try entity.decodedText())
                removed += result.removedActiveContent + result.blockedRemoteContent
                entity.setText("<html><body>\(result.html)</body></html>\r\n", asUTF8: true, isTopLevel: address.isEmpty)
            }
        }
        copy.activeContentRemoved += removed
        copy.notes.append("\(html.count) HTML part(s) sanitized, \(removed) active or remote item(s) removed")
    }
}

import Archive
import MailMessage

/// Step 4: URLs. In every text/plain and text/html body of the message and of the messages
/// forwarded in it (except content a forwarded message's signature covers), URLs and bare
/// `www.` names are defanged (``URLDefanger``); in HTML, text and attribute values are
/// defanged as a browser reads them, so a link hidden behind character references is caught.
/// A part with nothing to defang keeps its bytes; one that changes keeps its charset when it
/// can. `List-Unsubscribe` (a URL a client offers as a button) goes too.
extension CopySanitizer {
    /// Attributes that hold a URL (HTML 4 and 5).
    static let urlAttributes: Set<String> = [
        "href", "src", "action", "formaction", "background", "poster", "cite", "data", "longdesc", "lowsrc", "dynsrc",
        "codebase", "usemap", "ping", "manifest", "icon", "xlink:href", "profile", "classid", "archive",
    ]

    func defangURLs(_ copy: inout SanitizedCopy) throws(CopySanitizerError) {
        let (bodies, signedLeft) = Self.bodyPartsIncludingForwarded(copy.message, ["text/plain", "text/html"])
        if signedLeft > 0 { copy.notes.append("\(signedLeft) signed part(s) of a forwarded message not defanged") }
        var defanged = 0
        var lossy = 0
        try attempt(.defangURLs) {
            try copy.message.modifyParts(at: bodies.map(\.address)) { entity, address in
                var notes = TextDecoder.Notes()
                let text = try entity.decodedText(notes: &notes)
                let (result, count) = entity.contentType.subtype == "html" ? Self.defangHTML(text) : URLDefanger.defang(text)
                guard count > 0 else { return }
                defanged += count
                if notes.invalidSequences > 0 { lossy += 1 }
                entity.setText(result, isTopLevel: address.isEmpty)
            }
        }
        copy.urlsDefanged += defanged
        if defanged > 0 { copy.notes.append("\(defanged) URL(s) defanged") }
        if lossy > 0 { copy.notes.append("\(lossy) defanged part(s) had undecodable bytes, now U+FFFD") }
        if Self.removeUnsubscribe(&copy.message) { copy.notes.append("List-Unsubscribe removed") }
    }

    /// Removes `List-Unsubscribe` and `List-Unsubscribe-Post` (RFC 8058); returns whether there were any.
    @discardableResult
    static func removeUnsubscribe(_ message: inout MailMessage) -> Bool {
        message.header.remove("List-Unsubscribe") + message.header.remove("List-Unsubscribe-Post") > 0
    }

    /// `html` with every text and attribute value defanged, and how many URLs changed.
    static func defangHTML(_ html: String) -> (html: String, count: Int) {
        var count = 0
        let rewritten = HTMLRewriter.rewrite(html) { text in
            let result = URLDefanger.defang(text)
            count += result.count
            return result.text
        } attribute: { _, name, value in
            if urlAttributes.contains(name) {
                let result = URLDefanger.defangURL(value)
                if result.changed { count += 1 }
                return result.url
            }
            let result = URLDefanger.defang(value)
            count += result.count
            return result.text
        }
        // Comments are dropped by the rewrite: Outlook renders what `<!--[if mso]>` hides, links
        // included, so HTML with comments is always written anew.
        return count == 0 && !html.contains("<!--") ? (html, 0) : (rewritten, count)
    }
}

import Links

/// Rewrites the text and attribute values of HTML and nothing else (pure): the document is read
/// as ``HTMLSanitizer`` reads it (``HTMLTokenizer``: character references decoded, as a browser
/// sees them) and written back in canonical form with every element kept. Comments, doctypes
/// and processing instructions are dropped; text and attribute values are escaped; the raw text
/// of `script`, `style` and the like is written as it came (after `text`), with `</` made unable
/// to close its element early.
///
/// It is for changes that must not depend on how the markup is spelled — defanging every URL,
/// say, including `https&#x3a;//` in an `href`. It removes nothing that runs: that is
/// ``HTMLSanitizer``'s job.
public enum HTMLRewriter {
    /// `html` with every text passed through `text` and every attribute value through
    /// `attribute` (element and attribute names lowercased).
    public static func rewrite(
        _ html: String,
        text: (String) -> String,
        attribute: (_ element: String, _ name: String, _ value: String) -> String
    ) -> String {
        var output = ""
        output.reserveCapacity(html.utf8.count + html.utf8.count / 8)
        var rawTextElement: String?
        for token in HTMLTokenizer.tokens(html) {
            switch token {
            case .comment:
                continue
            case .text(let content):
                if let element = rawTextElement {
                    output += closedOnlyAtTheEnd(text(content), element: element)
                } else {
                    output += HTML.escape(text(content))
                }
            case .end(let name):
                rawTextElement = nil
                output += "</\(name)>"
            case .start(let name, let attributes, let selfClosing):
                output += "<\(name)"
                for (attributeName, value) in attributes {
                    output += " \(attributeName)=\"\(HTML.escape(attribute(name, attributeName, value)))\""
                }
                output += selfClosing ? "/>" : ">"
                // textarea and title text comes decoded, like any text; the others' raw.
                let raw = HTMLTokenizer.rawTextElements.contains(name) && name != "textarea" && name != "title"
                rawTextElement = raw ? name : nil
            }
        }
        return output
    }

    /// Raw text with every `</` followed by the element's name broken up (`<\/`), so the
    /// element still ends where it ended before.
    static func closedOnlyAtTheEnd(_ raw: String, element: String) -> String {
        guard raw.contains("</") else { return raw }
        let closer = "</" + element
        let (replaced, _) = CSSSanitizer.replacingCaseInsensitive(closer, with: "<\\/" + element, in: raw)
        return replaced
    }
}

import Archive
import Foundation
import Testing

/// The token rewriter changes text and attribute values, read as a browser reads them, and
/// keeps every element where it was.
@Suite struct HTMLRewriterTests {
    @Test func textAndAttributesGoThroughTheTransformsDecoded() {
        var texts = [String]()
        var attributes = [String]()
        let out = HTMLRewriter.rewrite("<!DOCTYPE html><P Class=a>x &amp; y<!-- c --></p><a HREF=\"ht&#x74;p://e\">z</a>") { text in
            texts.append(text)
            return text.uppercased()
        } attribute: { element, name, value in
            attributes.append("\(element) \(name)=\(value)")
            return value + "!"
        }
        #expect(texts == ["x & y", "z"])
        #expect(attributes == ["p class=a", "a href=http://e"])
        #expect(out == "<p class=\"a!\">X &amp; Y</p><a href=\"http://e!\">Z</a>")
    }

    @Test func rawTextStaysRawAndCannotEndItsElementEarly() {
        let out = HTMLRewriter.rewrite("<style>a > b { }</style><script>if (a < b) x()</script><textarea>&lt;b&gt;</textarea>") { text in
            text.replacingOccurrences(of: "x()", with: "</SCRIPT><img>")
        } attribute: { _, _, value in value }
        #expect(out == "<style>a > b { }</style><script>if (a < b) <\\/script><img></script><textarea>&lt;b&gt;</textarea>")
    }
}

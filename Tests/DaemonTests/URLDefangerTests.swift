import Testing

@testable import Daemon

extension SanitizerSuites {
    /// URL defanging as a table: what changes (scheme, host dots), what does not (everything else),
    /// and that defanged text stays as it is.
    @Suite("Copy sanitizer: URL defanging")
    struct URLDefangerTests {
        static let table: [(input: String, output: String, count: Int)] = [
            ("https://example.com/a.b", "hxxps://example[.]com/a.b", 1),
            ("http://example.com", "hxxp://example[.]com", 1),
            ("ftp://files.example.jp/pub/x.tar.gz", "fxp://files[.]example[.]jp/pub/x.tar.gz", 1),
            ("HTTPS://EXAMPLE.COM/", "HXXPS://EXAMPLE[.]COM/", 1),
            ("see www.example.com today", "see www[.]example[.]com today", 1),
            ("WWW.Example.co.jp.", "WWW[.]Example[.]co[.]jp.", 1),
            ("http://192.168.10.1:8080/admin", "hxxp://192[.]168[.]10[.]1:8080/admin", 1),
            ("https://user.name:p.w@evil.example:443/x", "hxxps://user.name:p.w@evil[.]example:443/x", 1),
            ("http://[2001:db8::1]:80/", "hxxp://[2001:db8::1]:80/", 1),
            ("https://xn--r8jz45g.xn--zckzah/", "hxxps://xn--r8jz45g[.]xn--zckzah/", 1),
            ("https://例え.テスト/パス", "hxxps://例え[.]テスト/パス", 1),
            ("line one https://example.com\r\nline two", "line one hxxps://example[.]com\r\nline two", 1),
            ("(see https://example.com/a)", "(see hxxps://example[.]com/a)", 1),
            ("(https://example.com)", "(hxxps://example[.]com)", 1),
            ("「https://example.jp」をご覧ください。", "「hxxps://example[.]jp」をご覧ください。", 1),
            ("詳細はhttps://example.jp。次へ", "詳細はhxxps://example[.]jp。次へ", 1),
            ("詳細はwww.example.jpへ、", "詳細はwww[.]example[.]jpへ、", 1),
            ("Visit https://example.com. Then", "Visit hxxps://example[.]com. Then", 1),
            ("https://a.example, https://b.example", "hxxps://a[.]example, hxxps://b[.]example", 2),
            ("<https://example.com/x>", "<hxxps://example[.]com/x>", 1),
            ("taro@www.example.jp", "taro@www.example.jp", 0),
            ("awww.example.com and x.www.example.com", "awww.example.com and x.www.example.com", 0),
            ("no links here. www. alone, http:// alone", "no links here. www. alone, hxxp:// alone", 1),
            ("mailto:taro@example.jp", "mailto:taro@example.jp", 0),
            ("hxxps://example[.]com and www[.]example[.]com", "hxxps://example[.]com and www[.]example[.]com", 0),
            ("", "", 0),
        ]

        @Test("defanging text, and defanging it again changes nothing", arguments: table)
        func defang(_ row: (input: String, output: String, count: Int)) {
            let result = URLDefanger.defang(row.input)
            #expect(result.text == row.output)
            #expect(result.count == row.count)
            let again = URLDefanger.defang(result.text)
            #expect(again.text == result.text && again.count == 0, "idempotent")
        }

        static let links: [(input: String, output: String, changed: Bool)] = [
            ("https://evil.example/x", "hxxps://evil[.]example/x", true),
            ("  HTTPS://evil.example/x\n", "HXXPS://evil[.]example/x", true),
            ("ht\ttps://evil.example/", "hxxps://evil[.]example/", true),
            ("https:\\\\evil.example\\x", "hxxps://evil[.]example/x", true),
            ("https:evil.example", "hxxps://evil[.]example", true),
            ("//evil.example/beacon.gif", "//evil[.]example/beacon.gif", true),
            ("\\\\evil.example\\share", "//evil[.]example/share", true),
            ("mailto:taro@example.jp", "mailto:taro@example.jp", false),
            ("#top", "#top", false),
            ("/relative/path.html", "/relative/path.html", false),
            ("cid:logo@example.jp", "cid:logo@example.jp", false),
            ("0;url=https://evil.example/", "0;url=hxxps://evil[.]example/", true),
            ("hxxps://evil[.]example/x", "hxxps://evil[.]example/x", false),
        ]

        @Test("defanging link targets as a browser reads them", arguments: links)
        func link(_ row: (input: String, output: String, changed: Bool)) {
            let result = URLDefanger.defangURL(row.input)
            #expect(result.url == row.output)
            #expect(result.changed == row.changed)
            #expect(!URLDefanger.defangURL(result.url).changed, "defanging a defanged target changes nothing")
        }
    }
}

import Foundation
import Testing

@testable import Links

/// The small pure pieces of the server: headers, escaping, language choice, forms, settings.
@Suite("Page parts and settings")
struct PagePartsTests {
    @Test("Content-Disposition: ASCII fallback and RFC 8187 filename*")
    func contentDisposition() {
        #expect(
            ContentDisposition.attachment(fileName: "見積書 2026.xlsx")
                == "attachment; filename=\"___ 2026.xlsx\"; filename*=UTF-8''%E8%A6%8B%E7%A9%8D%E6%9B%B8%202026.xlsx")
        #expect(ContentDisposition.asciiFallback("a\"b\\c%d/e.txt") == "a_b_c_d_e.txt")
        #expect(ContentDisposition.asciiFallback("") == "download")
        #expect(ContentDisposition.percentEncoded("a b;c=d'e.txt") == "a%20b%3Bc%3Dd%27e.txt")
    }

    @Test("HTML escaping")
    func escaping() {
        #expect(
            HTML.escape("<script>alert('x')</script> & \"q\"")
                == "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;")
        #expect(HTML.escape("見積書") == "見積書")
    }

    static let languages: [(String?, String?, LinkLanguage)] = [
        (nil, nil, .ja),
        ("en", "ja", .en),
        ("ja", "en-US,en;q=0.9", .ja),
        ("xx", "en-US,en;q=0.9", .en),
        (nil, "en-US,en;q=0.9,ja;q=0.8", .en),
        (nil, "ja-JP,ja;q=0.9,en;q=0.8", .ja),
        (nil, "en;q=0.5, ja", .ja),
        (nil, "fr-FR, de;q=0.8", .ja),
        (nil, "fr, en;q=0.1", .en),
        (nil, "en;q=0", .ja),
    ]

    @Test("page language: ?lang= wins, then Accept-Language by quality, then the default", arguments: languages)
    func language(_ row: (String?, String?, LinkLanguage)) {
        #expect(LinkLanguage.negotiate(query: row.0, acceptLanguage: row.1, fallback: .ja) == row.2)
    }

    @Test("form fields")
    func form() {
        #expect(FormBody.value(of: "password", in: "password=a%2Bb+c%26d") == "a+b c&d")
        #expect(FormBody.value(of: "password", in: "x=1&password=%E6%97%A5") == "日")
        #expect(FormBody.value(of: "password", in: "password=") == "")
        #expect(FormBody.value(of: "password", in: "x=1") == nil)
    }

    @Test("sizes and dates as shown")
    func formatting() {
        #expect(LinkPages.formatSize(532) == "532 B")
        #expect(LinkPages.formatSize(5_000_000) == "4.8 MB")
        #expect(LinkPages.formatSize(12_700) == "12 KB")
        let pages = LinkPages(language: .ja, timeZone: TimeZone(identifier: "Asia/Tokyo")!)
        #expect(pages.formatDate(Date(timeIntervalSince1970: 1_796_000_000)) == "2026-11-30 09:53 (UTC+09:00)")
    }

    @Test("settings: defaults, and each bad setting named")
    func settings() throws {
        let good = LinkSettings(directory: "/var/lib/sekisho/links", baseURL: "https://files.example.co.jp/")
        try good.validate()
        #expect(good.defaultLifetime == .seconds(7 * 86_400))
        #expect(
            good.passwordAttemptsPerWindow == 5 && good.attemptWindow == .seconds(900)
                && good.janitorInterval == .seconds(300))
        #expect(good.pageURL(token: "T") == "https://files.example.co.jp/l/T")
        #expect(good.revokeURL(token: "R") == "https://files.example.co.jp/r/R")
        let cases: [(String, (inout LinkSettings) -> Void)] = [
            ("directory", { $0.directory = "relative" }),
            ("base_url", { $0.baseURL = "ftp://x" }),
            ("base_url", { $0.baseURL = "https://x/?a=1" }),
            ("listen", { $0.listen = "localhost" }),
            ("listen", { $0.listen = "127.0.0.1:70000" }),
            ("tls_key", { $0.tlsCertificate = "/etc/hostname" }),
            ("tls_certificate", { $0.tlsKey = "/etc/hostname" }),
            (
                "tls_certificate",
                {
                    $0.tlsCertificate = "/nonexistent.pem"; $0.tlsKey = "/etc/hostname"
                }
            ),
            ("default_lifetime", { $0.defaultLifetime = .zero }),
            ("maximum_downloads", { $0.maximumDownloads = 0 }),
            ("password_attempts_per_window", { $0.passwordAttemptsPerWindow = 0 }),
            ("attempt_window", { $0.attemptWindow = .milliseconds(10) }),
            ("janitor_interval", { $0.janitorInterval = .zero }),
        ]
        for (key, change) in cases {
            var settings = good
            change(&settings)
            do {
                try settings.validate()
                Issue.record("\(key): accepted")
            } catch {
                #expect(error.key == key && error.code == .invalidSettings, "\(error)")
            }
        }
    }
}

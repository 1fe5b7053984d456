import Archive
import Testing

@testable import ArchiveWeb

@Suite struct ArchivePageTextTests {
    @Test func everyLabelExistsInBothLanguages() {
        #expect(Set(ArchivePageText.japanese.keys) == Set(ArchivePageText.english.keys))
        #expect(ArchivePageText.japanese.values.allSatisfy { !$0.isEmpty })
        #expect(ArchivePageText.english.values.allSatisfy { !$0.isEmpty })
    }

    @Test func snippetsAreEscapedBeforeTheMarksGoIn() {
        let snippet = "<b>\(ArchiveSnippet.open)請求書\(ArchiveSnippet.close)</b> & \"x\""
        #expect(ArchivePages.snippetHTML(snippet) == "&lt;b&gt;<mark>請求書</mark>&lt;/b&gt; &amp; &quot;x&quot;")
    }

    @Test func searchFiltersCannotSmuggleClauses() {
        let form = SearchForm(parameters: [
            "q": "請求書", "after": "2026-01-01 OR x", "before": "2026-02-01", "direction": "outbound -y", "attachment": "1", "order": "oldest",
        ])
        #expect(form.effectiveQuery == "請求書 before:2026-02-01 has:attachment")
        #expect(form.order == .oldest)
        #expect(form.url(page: 2) == "/search?q=%E8%AB%8B%E6%B1%82%E6%9B%B8&before=2026-02-01&attachment=1&order=oldest&page=2")
        #expect(SearchForm(parameters: ["q": "a+b c"]).url(page: 1).hasPrefix("/search?q=a%2Bb%20c&"))
    }

    @Test func cookiesAreStrict() {
        let plain = SessionCookie(secure: false, lifetime: 3600)
        #expect(plain.setting("T") == "sekisho-archive=T; Max-Age=3600; Path=/; HttpOnly; SameSite=Strict")
        let tls = SessionCookie(secure: true, lifetime: 60)
        #expect(tls.setting("T") == "__Host-sekisho-archive=T; Max-Age=60; Path=/; HttpOnly; SameSite=Strict; Secure")
        #expect(tls.token(in: "a=b; __Host-sekisho-archive=abc; lang=en") == "abc")
        #expect(plain.token(in: "__Host-sekisho-archive=abc") == nil)
    }
}

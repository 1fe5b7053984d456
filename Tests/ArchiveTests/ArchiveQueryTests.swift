@testable import Archive
import Testing

@Suite struct ArchiveQueryTests {
    @Test func parsesWordsFieldsAndDates() throws {
        let query = try ArchiveQuery.parse("請求書 from:tanaka@example.co.jp after:2026-01-01 has:attachment")
        #expect(query.clauses == [
            .match(.any, "請求書"), .match(.from, "tanaka@example.co.jp"), .after(ArchiveQuery.Day("2026-01-01")!), .hasAttachment(true),
        ])
    }

    @Test func quotesNegationAndOr() throws {
        let query = try ArchiveQuery.parse(#"subject:"quarterly report" -draft invoice OR 請求書　見積"#)
        #expect(query.clauses == [
            .match(.subject, "quarterly report"), .not(.match(.any, "draft")), .or([.match(.any, "invoice"), .match(.any, "請求書")]),
            .match(.any, "見積"),
        ])
    }

    @Test func unknownPrefixIsAWordAndSizesParse() throws {
        #expect(try ArchiveQuery.parse("http://example.com").clauses == [.match(.any, "http://example.com")])
        #expect(try ArchiveQuery.parse("larger:2M smaller:500k").clauses == [.larger(2 << 20), .smaller(500 * 1024)])
        #expect(try ArchiveQuery.parse("").clauses.isEmpty)
    }

    @Test func errorsAreClear() {
        for (text, words) in [("after:yesterday", "YYYY-MM-DD"), ("\"open", "quote"), ("OR x", "OR"), ("has:wings", "has:"), ("larger:big", "size")] {
            do {
                _ = try ArchiveQuery.parse(text)
                Issue.record("\(text) parsed")
            } catch {
                #expect(error.description.contains(words), "\(text): \(error)")
            }
        }
    }
}

@Suite struct CJKBigramTests {
    @Test func bigramsOfCJKRunsOnly() {
        #expect(CJKBigrams.text("定例会議 meeting 請求書を") == "定例 例会 会議 請求 求書 書を ")
        #expect(CJKBigrams.text("ｶﾀｶﾅ abc") == "ｶﾀ ﾀｶ ｶﾅ ")
        #expect(CJKBigrams.text("a会b") == "")
    }
}

import Testing

@testable import MailMessage

@Suite("Charsets through iconv")
struct CharsetTests {
    @Test("Shift_JIS is read as CP932: ① ㈱ 髙 ～ survive")
    func shiftJISIsCP932() {
        // ① 87 40, ㈱ 87 8A, 髙 FB FC (IBM) and EE E0 (NEC-selected), ～ 81 60
        let bytes: [UInt8] = [0x87, 0x40, 0x87, 0x8A, 0xFB, 0xFC, 0xEE, 0xE0, 0x81, 0x60]
        var notes = TextDecoder.Notes()
        let text = TextDecoder.decode(bytes, charset: MIMECharset(label: "Shift_JIS"), notes: &notes)
        #expect(text == "①㈱髙髙～")
        #expect(notes.supersetNeeded)
        #expect(notes.invalidSequences == 0)
    }

    @Test("ISO-2022-JP is read as CP50221: NEC row 13 and IBM rows 89–92")
    func iso2022JPIsCP50221() {
        // ESC $ B  2D 21 (①)  2D 6A (㈱)  7C 62 (髙)  21 41 (～)  ESC ( B  "ok"
        let bytes: [UInt8] = [0x1B, 0x24, 0x42, 0x2D, 0x21, 0x2D, 0x6A, 0x7C, 0x62, 0x21, 0x41, 0x1B, 0x28, 0x42, 0x6F, 0x6B]
        var notes = TextDecoder.Notes()
        let text = TextDecoder.decode(bytes, charset: .iso2022JP, notes: &notes)
        #expect(text == "①㈱髙～ok")
        #expect(notes.supersetNeeded)
    }

    @Test("ISO-2022-JP half-width katakana and JIS-Roman")
    func iso2022JPKatakana() {
        let bytes: [UInt8] = [0x1B, 0x28, 0x49, 0x31, 0x32, 0x1B, 0x28, 0x4A, 0x41, 0x1B, 0x28, 0x42]
        #expect(TextDecoder.decode(bytes, charset: .iso2022JP) == "ｱｲA")
    }

    @Test("encoding ISO-2022-JP round-trips vendor characters", arguments: ["①売上集計_㈱髙島屋様～確定版", "カタカナ と ASCII mixed 123", "﨑ちゃん"])
    func iso2022JPRoundTrip(text: String) throws {
        let encoded = try #require(TextEncoder.encode(text, charset: .iso2022JP))
        #expect(encoded.allSatisfy { $0 < 0x80 })
        #expect(Array(encoded.suffix(3)) == [0x1B, 0x28, 0x42] || encoded.last != 0x1B)
        #expect(TextDecoder.decode(encoded, charset: .iso2022JP) == text)
    }

    @Test("text without an ISO-2022-JP form is refused (callers fall back to UTF-8)")
    func iso2022JPRefusesEmoji() {
        #expect(TextEncoder.encode("お祝い🎉", charset: .iso2022JP) == nil)
        #expect(TextEncoder.encode("ｶﾀｶﾅ", charset: .iso2022JP) == nil)  // JIS X 0201 is not in RFC 1468
        #expect(TextEncoder.encode("x", charset: MIMECharset(label: "x-unknown")) == nil)
    }

    @Test(
        "other charsets mail really uses",
        arguments: [
            ("euc-jp", [0xC6, 0xFC, 0xCB, 0xDC] as [UInt8], "日本"),
            ("EUC-JP", [0xAD, 0xA1] as [UInt8], "①"),  // EUC-JP-MS: NEC row 13
            ("gb2312", [0xD6, 0xD0, 0xCE, 0xC4] as [UInt8], "中文"),
            ("GBK", [0x81, 0x40] as [UInt8], "丂"),
            ("big5", [0xA4, 0xA4, 0xA4, 0xE5] as [UInt8], "中文"),
            ("euc-kr", [0xC7, 0xD1, 0xB1, 0xB9] as [UInt8], "한국"),
            ("ks_c_5601-1987", [0xC7, 0xD1] as [UInt8], "한"),
            ("iso-8859-1", [0x63, 0x61, 0x66, 0xE9] as [UInt8], "café"),
            ("ISO-8859-15", [0xA4] as [UInt8], "€"),
            ("iso-8859-2", [0xB1] as [UInt8], "ą"),
            ("windows-1252", [0x80, 0x93] as [UInt8], "€“"),
            ("koi8-r", [0xF0, 0xD2, 0xC9] as [UInt8], "При"),
            ("iso-2022-jp-2", [0x1B, 0x24, 0x41, 0x56, 0x50, 0x1B, 0x28, 0x42] as [UInt8], "中"),
            ("utf-8", [0xE2, 0x82, 0xAC] as [UInt8], "€"),
        ])
    func otherCharsets(label: String, bytes: [UInt8], expected: String) {
        var notes = TextDecoder.Notes()
        #expect(TextDecoder.decode(bytes, charset: MIMECharset(label: label), notes: &notes) == expected)
        #expect(notes.invalidSequences == 0)
        #expect(!notes.unknownCharset)
    }

    @Test("unknown labels fall back without losing bytes")
    func unknownCharset() {
        var notes = TextDecoder.Notes()
        #expect(TextDecoder.decode(Array("文字コード".utf8), charset: MIMECharset(label: "x-unknown"), notes: &notes) == "文字コード")
        #expect(notes.unknownCharset)
        // Not UTF-8, not CP932: Latin-1, every byte kept as a code point.
        let latin = TextDecoder.decode([0x41, 0xFF, 0xFE, 0x80], charset: MIMECharset(label: "x-bogus"))
        #expect(latin.unicodeScalars.map(\.value) == [0x41, 0xFF, 0xFE, 0x80])
    }

    @Test("a bad byte becomes U+FFFD and decoding goes on")
    func lenientDecoding() {
        var notes = TextDecoder.Notes()
        let text = TextDecoder.decode([0x82, 0xA0, 0xFF, 0x82, 0xA2], charset: MIMECharset(label: "shift_jis"), notes: &notes)
        #expect(text.hasPrefix("あ"))
        #expect(text.hasSuffix("い"))
        #expect(notes.invalidSequences >= 1)
    }

    @Test("raw 8-bit header text: UTF-8 first, else CP932")
    func rawHeaderText() {
        #expect(TextDecoder.decodeRaw(Array("見積書.pdf".utf8)) == "見積書.pdf")
        #expect(TextDecoder.decodeRaw([0x8C, 0xA9, 0x90, 0xCF, 0x8F, 0x91]) == "見積書")
    }

    @Test("JIS row/cell ↔ Shift_JIS arithmetic is its own inverse over the whole plane")
    func jisShiftJISInverse() {
        for row in UInt8(0x21)...UInt8(0x7E) {
            for cell in UInt8(0x21)...UInt8(0x7E) {
                let (lead, trail) = ISO2022JP.jisToShiftJIS(row: row, cell: cell)
                let back = ISO2022JP.shiftJISToJIS(lead: lead, trail: trail)
                #expect(back?.0 == row && back?.1 == cell)
            }
        }
    }
}

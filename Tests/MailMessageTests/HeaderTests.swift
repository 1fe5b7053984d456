import Foundation
import Testing

@testable import MailMessage

@Suite("Headers: RFC 5322, 2047, 2231, 6532")
struct HeaderTests {
    private func b64(_ bytes: [UInt8]) -> String { String(decoding: Base64Encoder.encode(bytes, lineLength: 0), as: UTF8.self) }

    @Test("unfolding keeps duplicates in order and raw bytes")
    func unfolding() {
        let block = Array("Received: from a\r\n\tby b\r\nSubject: one\r\n two\r\nReceived: from c\r\n".utf8)
        let header = MessageHeader(parsing: block)
        #expect(header.fields.count == 3)
        #expect(header.all("received").map(\.valueString) == ["from a\tby b", "from c"])
        #expect(header["SUBJECT"]?.valueString == "one two")
        #expect(header.raw == block)
    }

    @Test("an mbox From_ line at the top stays in the header")
    func mboxFromLine() throws {
        let bytes = Array("From sender@example.com Mon Apr  1 10:30:00 2024\nSubject: mbox\nFrom: a@example.com\n\nbody\n".utf8)
        let message = try MailMessage.parse(bytes)
        #expect(message.subject == "mbox")
        #expect(message.from.map(\.address) == ["a@example.com"])
        #expect(try message.root.decodedContent() == Array("body\n".utf8))
        #expect(try message.serialized() == bytes)
    }

    @Test("adjacent encoded words are joined as bytes before decoding (split character)")
    func splitCharacter() {
        let bytes = Array("売上".utf8)  // E5 A3 B2 E4 B8 8A
        let value = "=?UTF-8?B?\(b64(Array(bytes[0..<2])))?= =?UTF-8?B?\(b64(Array(bytes[2...])))?="
        var notes = EncodedWordDecoder.Notes()
        #expect(EncodedWordDecoder.decode(Array(value.utf8), notes: &notes) == "売上")
        #expect(notes.splitCharacter)
    }

    @Test("Q encoding, glued words, text between words")
    func qEncoding() {
        #expect(EncodedWordDecoder.decode(Array("=?iso-8859-1?q?caf=E9_au_lait?=".utf8)) == "café au lait")
        #expect(EncodedWordDecoder.decode(Array("=?UTF-8?B?5pel?==?UTF-8?B?5pys?=".utf8)) == "日本")
        #expect(EncodedWordDecoder.decode(Array("Re: =?UTF-8?B?5pel?= and more".utf8)) == "Re: 日 and more")
        #expect(EncodedWordDecoder.decode(Array("=?UTF-8?X?bad?=".utf8)) == "=?UTF-8?X?bad?=")
    }

    @Test("encoding: ISO-2022-JP words stand alone, lines stay within 76 columns")
    func encodingFolds() {
        let subject = "【重要】①売上集計_㈱髙島屋様～確定版についてのご連絡とお願い、および来期の予算会議の日程調整について"
        for encoding in [HeaderTextEncoding.iso2022JP, .utf8] {
            let raw = EncodedWordEncoder.field(name: "Subject", text: subject, encoding: encoding)
            let lines = String(decoding: raw, as: UTF8.self).components(separatedBy: "\r\n").dropLast()
            #expect(lines.count > 1)
            for line in lines { #expect(line.utf8.count <= 76, "\(line)") }
            let field = MessageHeader(parsing: raw)["Subject"]
            #expect(field?.decodedValue == subject)
            if encoding == .iso2022JP { #expect(raw.allSatisfy { $0 < 0x80 }) }
        }
    }

    @Test("header values cannot inject fields")
    func noInjection() {
        let field = HeaderField(name: "X-Test", value: "a\r\nBcc: evil@example.net", encoding: .utf8)
        let text = String(decoding: field.raw, as: UTF8.self)
        #expect(text.components(separatedBy: "\r\n").filter { $0.hasPrefix("Bcc") }.isEmpty)
    }

    @Test("RFC 2231: charset, language, continuations joined as bytes, plain segments mixed in")
    func rfc2231() {
        let value = Array("attachment; filename*0*=UTF-8'ja'%E8%A6%8B%E7; filename*1*=%A9%8D; filename*2=\"_v2.pdf\"".utf8)
        let disposition = ContentDisposition(value)
        #expect(disposition.type == "attachment")
        #expect(disposition.filename == "見積_v2.pdf")
    }

    @Test("RFC 2047 inside a quoted parameter, several words folded in one string")
    func rfc2047InParameter() {
        let value = Array("application/pdf; name=\"=?ISO-2022-JP?B?GyRCOCtAURsoQg==?= =?ISO-2022-JP?B?GyRCPXEbKEI=?=.pdf\"".utf8)
        let type = ContentType(value)
        #expect(type.mimeType == "application/pdf")
        #expect(type.name == "見積書.pdf")
        #expect(type.value.notes.rfc2047InParameter)
    }

    @Test("raw 8-bit parameter: UTF-8, else CP932")
    func raw8bitParameter() {
        let cp932: [UInt8] = Array("attachment; filename=\"".utf8) + [0x8C, 0xA9, 0x90, 0xCF, 0x8F, 0x91] + Array(".pdf\"".utf8)
        let disposition = ContentDisposition(cp932)
        #expect(disposition.filename == "見積書.pdf")
        #expect(disposition.value.notes.rawNotUTF8)
    }

    @Test(
        "address lists",
        arguments: [
            ("\"Müller, Jürgen\" <j.mueller@example.org>, sales@example.co.jp", ["Müller, Jürgen <j.mueller@example.org>", "<sales@example.co.jp>"]),
            ("=?UTF-8?B?5bGx55Sw?= <taro@example.jp>", ["山田 <taro@example.jp>"]),
            ("team: a@example.com, \"B\" <b@example.com>;, c@example.com", ["<a@example.com>", "B <b@example.com>", "<c@example.com>"]),
            ("john@example.com (John Smith)", ["John Smith <john@example.com>"]),
            ("<@relay.example:user@example.com>", ["<user@example.com>"]),
            ("山田 太郎 <yamada@例え.jp>", ["山田 太郎 <yamada@例え.jp>"]),
            ("undisclosed-recipients:;", []),
        ])
    func addresses(value: String, expected: [String]) {
        #expect(AddressListParser.parse(Array(value.utf8)).map(\.description) == expected)
    }

    @Test("dates, obsolete forms included")
    func dates() {
        #expect(DateParser.parse("Mon, 01 Apr 2024 10:30:00 +0900") == 1_711_935_000)
        #expect(DateParser.parse("1 Apr 2024 01:30 GMT") == 1_711_935_000)
        #expect(DateParser.parse("Mon, 1 Apr 24 01:30:00 UT (comment)") == 1_711_935_000)
        #expect(DateParser.parse("not a date") == nil)
    }
}

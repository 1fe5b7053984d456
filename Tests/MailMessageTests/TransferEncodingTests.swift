import Testing

@testable import MailMessage

@Suite("Transfer encodings")
struct TransferEncodingTests {
    @Test("base64 round trip at every length, decoded in chunks of every size")
    func base64RoundTrip() {
        var generator = SystemRandomNumberGenerator()
        for length in [0, 1, 2, 3, 4, 57, 58, 1000] {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let encoded = Base64Encoder.encode(bytes)
            #expect(encoded.split(separator: 0x0A).allSatisfy { $0.count <= 77 })
            for chunk in [1, 3, 7, 76] {
                var decoder = Base64Decoder()
                var output = [UInt8]()
                var index = 0
                while index < encoded.count {
                    decoder.decode(encoded[index..<min(index + chunk, encoded.count)], into: &output)
                    index += chunk
                }
                decoder.finish(into: &output)
                #expect(output == bytes)
                #expect(!decoder.wasInvalid)
            }
        }
    }

    @Test("base64 tolerates bad characters, odd line lengths, missing padding and concatenation")
    func base64Lenient() {
        var decoder = Base64Decoder()
        var output = [UInt8]()
        decoder.decode(Array("SGV*sbG8\r\ngd29y!bGQ".utf8), into: &output)
        decoder.finish(into: &output)
        #expect(String(decoding: output, as: UTF8.self) == "Hello world")
        #expect(decoder.invalidCharacters == 2)
        #expect(decoder.missingPadding)
        #expect(Base64Decoder.decode(Array("YQ==Yg==".utf8)) == Array("ab".utf8))
    }

    @Test("quoted-printable: soft breaks inside a multibyte character, lower-case hex, trailing space")
    func quotedPrintable() {
        let encoded = Array("=E6=97=A5=E6=\r\n=9C=ac  \r\nline=20two=\r\n".utf8)
        #expect(String(decoding: QuotedPrintableDecoder.decode(encoded), as: UTF8.self) == "日本\r\nline two")
        var decoder = QuotedPrintableDecoder()
        var output = [UInt8]()
        for byte in encoded { decoder.decode([byte], into: &output) }
        decoder.finish(into: &output)
        #expect(String(decoding: output, as: UTF8.self) == "日本\r\nline two")
        #expect(QuotedPrintableDecoder.decode(Array("a=ZZb".utf8)) == Array("a=ZZb".utf8))
        // Found by mime-fuzz: '=' and one hex digit at the very end of the input.
        #expect(QuotedPrintableDecoder.decode(Array("a=4".utf8)) == Array("a=4".utf8))
        #expect(QuotedPrintableDecoder.decode(Array("a=4 ".utf8)) == Array("a=4".utf8))
    }

    @Test("quoted-printable encoding keeps lines under 77 and round-trips")
    func quotedPrintableEncode() {
        let text = Array((String(repeating: "日本語のテキスト ", count: 20) + "\r\nend = here \r\n").utf8)
        let encoded = QuotedPrintableEncoder.encode(text)
        for line in encoded.split(separator: 0x0A) { #expect(line.count <= 77) }
        #expect(QuotedPrintableDecoder.decode(encoded) == text)
    }

    @Test("uuencode blocks in a text body")
    func uuencode() {
        let text = Array("Hi\r\n\r\nbegin 644 a.txt\r\n#86)C\r\n`\r\nend\r\nBye\r\n".utf8)
        let blocks = UUEncode.blocks(in: text)
        #expect(blocks.count == 1)
        #expect(blocks.first?.filename == "a.txt")
        #expect(blocks.first?.mode == "644")
        #expect(blocks.first?.content == Array("abc".utf8))
    }
}

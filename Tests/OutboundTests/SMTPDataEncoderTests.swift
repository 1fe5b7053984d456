import Foundation
import NIOCore
import Outbound
import Testing

@Suite("DATA encoding: dot-stuffing and CRLF")
struct SMTPDataEncoderTests {
    /// Encodes `message` fed in the given chunk sizes (cycled) and returns the wire text.
    static func encode(_ message: [UInt8], chunks: [Int] = [Int.max]) -> String {
        var encoder = SMTPDataEncoder()
        var out = ByteBuffer()
        var offset = 0
        var index = 0
        while offset < message.count {
            let size = min(chunks[index % chunks.count], message.count - offset)
            encoder.encode(message[offset..<(offset + size)], into: &out)
            offset += size
            index += 1
        }
        encoder.finish(into: &out)
        return String(decoding: out.readableBytesView, as: UTF8.self)
    }

    static func encode(_ text: String, chunks: [Int] = [Int.max]) -> String {
        encode(Array(text.utf8), chunks: chunks)
    }

    /// What a receiver makes of the stream (RFC 5321 §4.5.2): up to the `.` line, leading dot removed.
    static func receive(_ wire: String) -> String {
        var lines = wire.components(separatedBy: "\r\n")
        #expect(lines.last == "")
        lines.removeLast()
        #expect(lines.last == ".")
        lines.removeLast()
        return lines.map { $0.hasPrefix(".") ? String($0.dropFirst()) : $0 }.map { $0 + "\r\n" }.joined()
    }

    @Test("lines that are just '.', '..', or start with a dot", arguments: [
        ("a\n.\nb\n", "a\r\n..\r\nb\r\n.\r\n"),
        ("..\n", "...\r\n.\r\n"),
        (".hidden\r\n", "..hidden\r\n.\r\n"),
        (".", "..\r\n.\r\n"),
        ("x.\n.y", "x.\r\n..y\r\n.\r\n"),
    ])
    func dots(message: String, wire: String) {
        #expect(Self.encode(message) == wire)
    }

    @Test("line ends: bare LF and bare CR become CRLF, CRLF stays, no final newline gets one", arguments: [
        ("a\nb", "a\r\nb\r\n.\r\n"),
        ("a\r\nb\r\n", "a\r\nb\r\n.\r\n"),
        ("a\rb\r", "a\r\nb\r\n.\r\n"),
        ("", ".\r\n"),
        ("\n", "\r\n.\r\n"),
        ("a\n\nb\n", "a\r\n\r\nb\r\n.\r\n"),
    ])
    func lineEnds(message: String, wire: String) {
        #expect(Self.encode(message) == wire)
    }

    @Test("the same wire bytes for every chunking, dots and CRLFs at the boundaries")
    func chunkBoundaries() {
        let message = "Subject: t\r\n\r\n.\r\n..\r\nline\n.\n\r\n.end\r.\rx\n"
        let whole = Self.encode(message)
        for size in 1...message.utf8.count {
            #expect(Self.encode(message, chunks: [size]) == whole, "chunk size \(size)")
        }
        #expect(Self.encode(message, chunks: [1, 2, 3, 5, 8]) == whole)
        #expect(Self.receive(whole) == "Subject: t\r\n\r\n.\r\n..\r\nline\r\n.\r\n\r\n.end\r\n.\r\nx\r\n")
    }

    @Test("8-bit bytes pass unchanged")
    func eightBit() {
        let message = "Grüße, 東京\n"
        #expect(Self.encode(message, chunks: [3]) == "Grüße, 東京\r\n.\r\n")
    }

    @Test("a large message round-trips through the receiver's view")
    func large() {
        var text = ""
        for index in 0..<5_000 { text += index % 7 == 0 ? ".\n" : "line \(index) ..\n" }
        let wire = Self.encode(text, chunks: [4096, 333])
        #expect(Self.receive(wire) == text.replacingOccurrences(of: "\n", with: "\r\n"))
    }

    @Test("the scanner counts bytes and 8-bit content")
    func scanner() {
        var scanner = MessageScanner()
        scanner.scan(Array("ab\ncd\n".utf8))
        #expect(scanner.byteCount == 6)
        #expect(scanner.properties == MessageProperties(size: 8, hasEightBitBytes: false), "ab CRLF cd CRLF")
        scanner.scan(Array("é".utf8))
        #expect(scanner.properties.hasEightBitBytes)
    }

    @Test("the SIZE is exact: the encoder's bytes without stuffed dots and the final dot line, for every chunking", arguments: [
        "", "\n", "a", "a\rb\r", "a\r\nb\r\n", "a\n\r\n\r", ".", "..\n.\r.x", "x.\n.y", "\r\n.\r\n",
        "Subject: t\r\n\r\n.\r\n..\r\nline\n.\n\r\n.end\r.\rx\n", "Grüße\r\r\n\n.", "no final line break",
    ])
    func exactSize(message: String) {
        let bytes = Array(message.utf8)
        for size in 1...max(1, bytes.count) {
            var scanner = MessageScanner()
            var encoder = SMTPDataEncoder()
            var wire = ByteBuffer()
            var offset = 0
            while offset < bytes.count {
                let end = min(bytes.count, offset + size)
                scanner.scan(bytes[offset..<end])
                encoder.encode(bytes[offset..<end], into: &wire)
                offset = end
            }
            encoder.finish(into: &wire)
            #expect(scanner.wireSize == wire.readableBytes, "chunk size \(size)")
            // RFC 1870: what the receiver stores, i.e. the wire bytes with the stuffing undone and
            // without the terminating "." CRLF.
            let received = Self.receive(String(decoding: wire.readableBytesView, as: UTF8.self))
            #expect(scanner.properties.size == received.utf8.count, "chunk size \(size)")
        }
    }
}

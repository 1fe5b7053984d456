import Testing

@testable import MailMessage

/// Pull-style reading of bodies (what the streamed milter body replacement uses).
@Suite("BodyBytes.read(into:at:)")
struct BodyBytesReadTests {
    @Test("spooled (several segments) and in-memory bodies read back identically in odd chunk sizes")
    func pullReads() throws {
        let payload = (0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let writer = try SpoolWriter(directory: "/tmp")
        for start in stride(from: 0, to: payload.count, by: 70_001) { try writer.append(Array(payload[start..<min(payload.count, start + 70_001)])) }
        let spooled = try writer.finish()
        #expect(spooled.isSpooled)
        for body in [spooled, BodyBytes(payload)] {
            var collected = [UInt8]()
            var buffer = [UInt8](repeating: 0, count: 65_535)
            while true {
                let got = try buffer.withUnsafeMutableBytes { try body.read(into: $0, at: collected.count) }
                if got == 0 { break }
                collected += buffer[0..<got]
            }
            #expect(collected == payload)
        }
        // A body whose segments are not contiguous in its spool file (a parsed message's parts).
        let message = try MailMessage.parse(
            Array("Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\n".utf8) + [UInt8](repeating: 0x61, count: 2 << 20)
                + Array("\r\n--b\r\n\r\n".utf8) + [UInt8](repeating: 0x62, count: 2 << 20) + Array("\r\n--b--\r\n".utf8)
        )
        guard case .leaf(let leaf) = try #require(message.entity(at: [1])).body else { Issue.record("not a leaf"); return }
        var tail = [UInt8](repeating: 0, count: 10)
        let got = try tail.withUnsafeMutableBytes { try leaf.raw.read(into: $0, at: leaf.raw.count - 10) }
        #expect(got == 10)
        #expect(tail == Array(try leaf.raw.bytes().suffix(10)))
    }
}

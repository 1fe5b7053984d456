import Crypto
import Foundation
import Testing

@testable import ZipArchive

/// Known-answer tests of the building blocks, without external tools. Expected values were
/// computed independently: Python's zlib and hashlib.pbkdf2_hmac, `openssl enc -aes-256-ecb
/// -nopad` over little-endian counter blocks, and a separate Python ZipCrypto implementation.
@Suite("Known answers")
struct KnownAnswerTests {
    @Test("CRC-32 of \"123456789\" is 0xCBF43926, in one piece or several")
    func crc32() {
        let input = Array("123456789".utf8)
        var whole = CRC32()
        input.withUnsafeBytes { whole.update($0) }
        #expect(whole.value == 0xCBF4_3926)
        var pieces = CRC32()
        input[0..<4].withUnsafeBytes { pieces.update($0) }
        input[4...].withUnsafeBytes { pieces.update($0) }
        #expect(pieces.value == 0xCBF4_3926)
        #expect(CRC32.table[1] == 0x7707_3096 && CRC32.table[255] == 0x2D02_EF8D)
    }

    @Test("ZipCrypto keys after the password \"secret\", and the encryption of a known text")
    func zipCryptoKeys() {
        var keys = ZipCryptoKeys(password: Array("secret".utf8))
        #expect(keys == ZipCryptoKeys(key0: 0xDDA9_E469, key1: 0x9621_2999, key2: 0xF9FC_9651))
        var text = Array("Hello, ZipCrypto!".utf8)
        text.withUnsafeMutableBytes { keys.encrypt($0) }
        #expect(hex(text) == "8075f632204de8854514631618554fb8a4")
        #expect(keys == ZipCryptoKeys(key0: 0x4843_1A2C, key1: 0x832E_AD59, key2: 0xCD9B_DD38))
    }

    @Test("WinZip AES-256 keys: PBKDF2-HMAC-SHA1, 1000 rounds, 66 bytes split 32/32/2")
    func winZipKeys() throws {
        let keys = try WinZipAESKeys(password: Array("Sekisho-測試".utf8), salt: Array(0..<16))
        #expect(hex(keys.encryptionKey) == "7f9ecae3a57a0e09db6eb7569bed4dd96166dfa4bd4621618b1ae086a802e251")
        #expect(hex(keys.authenticationKey) == "b7a9cf1c6d94a2b651b96d2cc08cd0db51afc411d1fbeefc90aff9da86471722")
        #expect(hex(keys.passwordVerifier) == "4870")
    }

    @Test("little-endian CTR keystream matches AES-256-ECB of counter blocks 1...4100, across odd chunk sizes")
    func counterKeystream() throws {
        let keystream = try AESCounterKeystream(key: Array(0x20..<0x40))
        var stream = [UInt8](repeating: 0, count: 4100 * 16)
        var offset = 0
        // Chunk sizes that cross block and 4096-block batch boundaries at odd places.
        for size in [1, 15, 17, 4096 * 16 - 40, 7, 100_000] {
            let end = min(offset + size, stream.count)
            try stream.withUnsafeMutableBytes { try keystream.apply(to: UnsafeMutableRawBufferPointer(rebasing: $0[offset..<end])) }
            offset = end
        }
        #expect(offset == stream.count)
        #expect(hex(stream[0..<16]) == "0e75fd70f4d114aed8613280be6c2b49")
        #expect(hex(stream[(256 * 16)..<(257 * 16)]) == "847d206b0443ba69017d7d188da02e92", "block 257: counter byte 1 carries")
        #expect(Sample.sha256(stream) == "3149b0df06c98b0ebff1696f14ca2a5acfce360376c83cb840c06776dfce75da")
    }

    @Test("WinZip AES entry data: salt + verifier, ciphertext, HMAC-SHA1 of the ciphertext truncated to 10")
    func aesEntryLayout() throws {
        let salt = Array(UInt8(0)..<16)
        let encryptor = try WinZipAESEncryptor(password: Array("pw".utf8), salt: salt)
        let keys = try WinZipAESKeys(password: Array("pw".utf8), salt: salt)
        #expect(encryptor.header == salt + keys.passwordVerifier)
        var data = Array("attack at dawn".utf8)
        try data.withUnsafeMutableBytes { try encryptor.encrypt($0) }
        let mac = HMAC<Insecure.SHA1>.authenticationCode(for: data, using: SymmetricKey(data: keys.authenticationKey))
        #expect(encryptor.finish() == Array(mac.prefix(10)))
    }

    @Test("DOS date and time: fields, 2-second rounding, time zones, clamping to 1980...2107")
    func dosDateTime() throws {
        let utc = try #require(TimeZone(identifier: "UTC"))
        let moment = Date(timeIntervalSince1970: 1_773_500_967)  // 2026-03-14 15:09:27 UTC
        let value = DOSDateTime(moment, timeZone: utc)
        #expect(value.time == 15 << 11 | 9 << 5 | 13)
        #expect(value.date == 46 << 9 | 3 << 5 | 14)
        let tokyo = try #require(TimeZone(identifier: "Asia/Tokyo"))
        let tokyoValue = DOSDateTime(moment, timeZone: tokyo)  // 2026-03-15 00:09:27 JST
        #expect(tokyoValue.time == 0 << 11 | 9 << 5 | 13 && tokyoValue.date == 46 << 9 | 3 << 5 | 15)
        let newYork = try #require(TimeZone(identifier: "America/New_York"))
        #expect(DOSDateTime(moment, timeZone: newYork).time == 11 << 11 | 9 << 5 | 13, "EDT, UTC-4")
        // nil is the C library's local zone: the same as Foundation's current zone.
        #expect(DOSDateTime(moment, timeZone: nil) == DOSDateTime(moment, timeZone: .current))
        #expect(DOSDateTime(Date(timeIntervalSince1970: 0), timeZone: utc) == .earliest)
        #expect(DOSDateTime(Date(timeIntervalSince1970: 315_532_800), timeZone: utc) == DOSDateTime(time: 0, date: 0 << 9 | 1 << 5 | 1))
        #expect(DOSDateTime(Date(timeIntervalSince1970: 5_000_000_000), timeZone: utc) == .latest)
        #expect(DOSDateTime(Date.distantFuture, timeZone: utc) == .latest)
        #expect(DOSDateTime(Date.distantPast, timeZone: nil) == .earliest)
        #expect(DOSDateTime(Date(timeIntervalSince1970: .infinity), timeZone: nil) == .latest)
        #expect(DOSDateTime(Date(timeIntervalSince1970: .nan), timeZone: nil) == .earliest)
    }

    @Test("civil dates from day numbers (Python's datetime as the reference)", arguments: [
        (Int64(0), Int64(1970), Int64(1), Int64(1)), (-1, 1969, 12, 31), (3652, 1980, 1, 1),
        (11016, 2000, 2, 29), (20526, 2026, 3, 14), (50402, 2107, 12, 31),
    ])
    func civil(days: Int64, year: Int64, month: Int64, day: Int64) {
        let civil = DOSDateTime.civil(fromDays: days)
        #expect(civil.year == year && civil.month == month && civil.day == day)
    }

    private func hex(_ bytes: some Sequence<UInt8>) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }
}

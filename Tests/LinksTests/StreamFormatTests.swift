import Crypto
import Testing

@testable import Links

/// The chunked AES-256-GCM blob format, without files: round trips and every way of damaging a
/// blob that must be caught.
@Suite("Sealed stream format")
struct StreamFormatTests {
    let key = SymmetricKey(size: .bits256)
    let prefix: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8]

    /// Seals `plaintext` fed in pieces of `piece` bytes with a small chunk size; returns the blob
    /// and its chunks (header first).
    func seal(_ plaintext: [UInt8], chunkSize: Int = 1000, piece: Int = 333) throws -> (blob: [UInt8], parts: [[UInt8]])
    {
        var sealer = StreamSealer(key: key, noncePrefix: prefix, chunkSize: chunkSize)
        var parts = [sealer.header.bytes]
        var offset = 0
        while offset < plaintext.count {
            let end = min(plaintext.count, offset + piece)
            try plaintext[offset..<end].withUnsafeBytes { try sealer.append($0) { parts.append($0) } }
            offset = end
        }
        try sealer.finish { parts.append($0) }
        return (parts.flatMap { $0 }, parts)
    }

    func open(_ blob: [UInt8], piece: Int = 517, key: SymmetricKey? = nil) throws -> [UInt8] {
        var opener = StreamOpener(key: key ?? self.key)
        var out = [UInt8]()
        var offset = 0
        while offset < blob.count {
            let end = min(blob.count, offset + piece)
            out += try opener.push(blob[offset..<end])
            offset = end
        }
        return out + (try opener.finish())
    }

    @Test(
        "round trip at and around chunk boundaries, fed in odd pieces",
        arguments: [0, 1, 999, 1000, 1001, 3000, 12_345])
    func roundTrip(size: Int) throws {
        let plaintext = randomBytes(size)
        let (blob, parts) = try seal(plaintext)
        let chunks = max(1, (size + 999) / 1000)
        #expect(parts.count == 1 + chunks)
        #expect(blob.count == SealedStream.headerSize + size + chunks * SealedStream.tagSize)
        #expect(try open(blob) == plaintext)
        #expect(try open(blob, piece: 1) == plaintext)
        #expect(try open(blob, piece: blob.count) == plaintext)
    }

    @Test("the header is SKLB, version 1, the chunk size and the nonce prefix")
    func header() throws {
        let (blob, _) = try seal([1, 2, 3], chunkSize: 65_536)
        #expect(Array(blob[0..<4]) == Array("SKLB".utf8))
        #expect(blob[4] == 1)
        #expect(Array(blob[5..<9]) == [0, 1, 0, 0])
        #expect(Array(blob[9..<17]) == prefix)
    }

    @Test("the ciphertext does not contain the plaintext")
    func ciphertextHidesPlaintext() throws {
        let plaintext = Array(String(repeating: "confidential quotation ", count: 200).utf8)
        let (blob, _) = try seal(plaintext)
        #expect(!String(decoding: blob, as: UTF8.self).contains("confidential"))
    }

    @Test("damage is caught: flipped bytes, cut at a chunk boundary, chunks dropped, swapped or added, wrong key")
    func damage() throws {
        let plaintext = randomBytes(3500)
        let (blob, parts) = try seal(plaintext)
        var flipped = blob
        flipped[SealedStream.headerSize + 1500] ^= 0x01
        #expect(throws: LinkError.self) { try open(flipped) }
        var header = blob
        header[12] ^= 0x80
        #expect(throws: LinkError.self) { try open(header) }
        // Cut after a whole chunk: the last remaining chunk lacks the final flag.
        #expect(throws: LinkError.self) { try open(parts.dropLast().flatMap { $0 }) }
        #expect(throws: LinkError.self) { try open(Array(blob.dropLast(5))) }
        #expect(throws: LinkError.self) { try open([parts[0], parts[1], parts[3], parts[2], parts[4]].flatMap { $0 }) }
        #expect(throws: LinkError.self) { try open([parts[0], parts[2], parts[3], parts[4]].flatMap { $0 }) }
        #expect(throws: LinkError.self) { try open(blob + parts[4]) }
        #expect(throws: LinkError.self) { try open(blob + [0]) }
        #expect(throws: LinkError.self) { try open(blob, key: SymmetricKey(size: .bits256)) }
        #expect(throws: LinkError.self) { try open(Array(blob.prefix(10))) }
    }

    @Test("an absurd chunk size in the header is refused before any allocation")
    func hostileChunkSize() throws {
        var (blob, _) = try seal([1, 2, 3])
        blob[5] = 0xff
        #expect(throws: LinkError.self) { try open(blob) }
        blob[5] = 0; blob[6] = 0; blob[7] = 0; blob[8] = 0
        #expect(throws: LinkError.self) { try open(blob) }
    }
}

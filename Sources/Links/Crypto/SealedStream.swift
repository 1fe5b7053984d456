import Crypto

/// The encrypted blob format (docs/links.md, "Storage format"): a header, then the plaintext
/// in fixed-size chunks, each sealed with AES-256-GCM.
///
/// ```
/// header   "SKLB" | version 0x01 | chunk size (u32 BE) | nonce prefix (8 random bytes)   17 bytes
/// chunk i  ciphertext (chunk size bytes; the last chunk 0…chunk size) | GCM tag (16)
/// nonce i  nonce prefix | i (u32 BE)                                                     12 bytes
/// AAD i    header (17) | i (u64 BE) | final flag (0x01 on the last chunk, else 0x00)
/// ```
///
/// Every chunk but the last holds exactly chunk-size bytes of plaintext, and only the last one
/// carries the final flag, so dropping, reordering or appending chunks, or cutting the blob at
/// a chunk boundary, fails authentication. The header is authenticated as part of every chunk.
enum SealedStream {
    static let magic: [UInt8] = Array("SKLB".utf8)
    static let version: UInt8 = 1
    static let headerSize = 17
    static let tagSize = 16
    static let noncePrefixSize = 8
    /// Plaintext bytes per chunk written by this version.
    static let defaultChunkSize = 64 * 1024
    /// The largest chunk size a reader accepts (it buffers one chunk).
    static let maximumChunkSize = 1 << 22
    /// The nonce counter is 32 bits.
    static let maximumChunks = UInt64(UInt32.max) + 1

    /// The blob header.
    struct Header: Hashable, Sendable {
        var chunkSize: Int
        var noncePrefix: [UInt8]

        init(chunkSize: Int, noncePrefix: [UInt8]) {
            precondition(noncePrefix.count == SealedStream.noncePrefixSize && chunkSize > 0)
            self.chunkSize = chunkSize
            self.noncePrefix = noncePrefix
        }

        /// Reads a header.
        /// - Throws: ``LinkError`` (corrupt) for a wrong magic, an unknown version or a chunk
        ///   size outside 1…``SealedStream/maximumChunkSize``.
        init(parsing bytes: ArraySlice<UInt8>) throws(LinkError) {
            guard bytes.count == SealedStream.headerSize else { throw .corrupt("the blob header is truncated") }
            let start = bytes.startIndex
            guard Array(bytes[start..<start + 4]) == SealedStream.magic else {
                throw .corrupt("the blob has no SKLB header")
            }
            guard bytes[start + 4] == SealedStream.version else {
                throw .corrupt("the blob has format version \(bytes[start + 4]), expected \(SealedStream.version)")
            }
            let size = bytes[start + 5..<start + 9].reduce(0) { $0 << 8 | Int($1) }
            guard (1...SealedStream.maximumChunkSize).contains(size) else {
                throw .corrupt("the blob declares a chunk size of \(size) bytes")
            }
            self.chunkSize = size
            self.noncePrefix = Array(bytes[start + 9..<start + 17])
        }

        /// The 17 header bytes.
        var bytes: [UInt8] {
            let size = UInt32(chunkSize)
            return SealedStream.magic + [SealedStream.version]
                + [UInt8(size >> 24), UInt8(size >> 16 & 0xff), UInt8(size >> 8 & 0xff), UInt8(size & 0xff)]
                + noncePrefix
        }
    }

    /// The nonce of chunk `index`.
    static func nonce(prefix: [UInt8], index: UInt64) throws(LinkError) -> AES.GCM.Nonce {
        guard index < maximumChunks else { throw .corrupt("the blob has more than 2^32 chunks") }
        let counter = UInt32(index)
        let bytes =
            prefix + [
                UInt8(counter >> 24), UInt8(counter >> 16 & 0xff), UInt8(counter >> 8 & 0xff), UInt8(counter & 0xff),
            ]
        do {
            return try AES.GCM.Nonce(data: bytes)
        } catch {
            throw .corrupt("cannot make a nonce: \(error)")
        }
    }

    /// The additional authenticated data of chunk `index`.
    static func additionalData(header: [UInt8], index: UInt64, final: Bool) -> [UInt8] {
        var data = header
        data.reserveCapacity(header.count + 9)
        for shift in stride(from: 56, through: 0, by: -8) { data.append(UInt8(index >> UInt64(shift) & 0xff)) }
        data.append(final ? 1 : 0)
        return data
    }
}

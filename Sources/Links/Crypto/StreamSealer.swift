import Crypto

/// Encrypts a stream into the ``SealedStream`` format, one chunk at a time. Pure: the caller
/// writes what ``append(_:emit:)`` and ``finish(emit:)`` emit. Holds at most one chunk.
struct StreamSealer {
    private let key: SymmetricKey
    let header: SealedStream.Header
    private let headerBytes: [UInt8]
    private var pending: [UInt8]
    private var index: UInt64 = 0
    /// Plaintext bytes taken so far.
    private(set) var plaintextSize: Int64 = 0

    /// A sealer with the given key and nonce prefix (8 fresh random bytes per blob).
    init(key: SymmetricKey, noncePrefix: [UInt8], chunkSize: Int = SealedStream.defaultChunkSize) {
        self.key = key
        self.header = SealedStream.Header(chunkSize: chunkSize, noncePrefix: noncePrefix)
        self.headerBytes = header.bytes
        self.pending = []
        pending.reserveCapacity(chunkSize)
    }

    /// Takes more plaintext. A full chunk is sealed (and emitted) only once more plaintext
    /// follows it, since the last chunk must carry the final flag.
    /// - Throws: what `emit` throws, or ``LinkError`` past 2^32 chunks.
    mutating func append(_ bytes: UnsafeRawBufferPointer, emit: ([UInt8]) throws -> Void) throws {
        var offset = 0
        while offset < bytes.count {
            if pending.count == header.chunkSize {
                try emit(seal(final: false))
            }
            let count = min(header.chunkSize - pending.count, bytes.count - offset)
            pending.append(contentsOf: bytes[offset..<offset + count])
            offset += count
        }
        plaintextSize += Int64(bytes.count)
    }

    /// Seals the last chunk (empty for an empty stream).
    mutating func finish(emit: ([UInt8]) throws -> Void) throws {
        try emit(seal(final: true))
    }

    private mutating func seal(final: Bool) throws -> [UInt8] {
        let nonce = try SealedStream.nonce(prefix: header.noncePrefix, index: index)
        let data = SealedStream.additionalData(header: headerBytes, index: index, final: final)
        let box = try AES.GCM.seal(pending, using: key, nonce: nonce, authenticating: data)
        index += 1
        pending.removeAll(keepingCapacity: true)
        var sealed = [UInt8]()
        sealed.reserveCapacity(box.ciphertext.count + SealedStream.tagSize)
        sealed.append(contentsOf: box.ciphertext)
        sealed.append(contentsOf: box.tag)
        return sealed
    }
}

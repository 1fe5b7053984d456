import Crypto

/// Decrypts a ``SealedStream`` blob pushed in pieces of any size. Pure. Only authenticated
/// plaintext ever leaves it: a chunk is returned after its tag checked, and the last chunk is
/// recognised as last (final flag) only at ``finish()``, so a blob cut short, extended or
/// reordered fails there or earlier.
struct StreamOpener {
    private let key: SymmetricKey
    private var header: SealedStream.Header?
    private var headerBytes: [UInt8] = []
    private var pending: [UInt8] = []
    private var index: UInt64 = 0

    init(key: SymmetricKey) {
        self.key = key
    }

    /// Takes more of the blob; returns the plaintext of every chunk now known not to be the last.
    /// - Throws: ``LinkError`` (corrupt) for a bad header or a chunk that fails authentication.
    mutating func push(_ bytes: some Collection<UInt8>) throws(LinkError) -> [UInt8] {
        pending.append(contentsOf: bytes)
        var consumed = 0
        if header == nil {
            guard pending.count >= SealedStream.headerSize else { return [] }
            header = try SealedStream.Header(parsing: pending[0..<SealedStream.headerSize])
            headerBytes = Array(pending[0..<SealedStream.headerSize])
            consumed = SealedStream.headerSize
        }
        let sealedSize = header!.chunkSize + SealedStream.tagSize
        var plaintext = [UInt8]()
        // A chunk is not the last one when more bytes follow it.
        while pending.count - consumed > sealedSize {
            plaintext += try open(pending[consumed..<consumed + sealedSize], final: false)
            consumed += sealedSize
        }
        pending.removeFirst(consumed)
        return plaintext
    }

    /// Opens the last chunk (the rest of the blob) and returns its plaintext.
    /// - Throws: ``LinkError`` (corrupt) when the blob ends early or the last chunk fails
    ///   authentication as the final one.
    mutating func finish() throws(LinkError) -> [UInt8] {
        guard let header else { throw .corrupt("the blob ends inside its header") }
        guard pending.count >= SealedStream.tagSize, pending.count <= header.chunkSize + SealedStream.tagSize else {
            throw .corrupt("the blob ends inside chunk \(index)")
        }
        let plaintext = try open(pending[...], final: true)
        pending = []
        return plaintext
    }

    private mutating func open(_ sealed: ArraySlice<UInt8>, final: Bool) throws(LinkError) -> [UInt8] {
        let nonce = try SealedStream.nonce(prefix: header!.noncePrefix, index: index)
        let data = SealedStream.additionalData(header: headerBytes, index: index, final: final)
        let split = sealed.endIndex - SealedStream.tagSize
        do {
            let box = try AES.GCM.SealedBox(
                nonce: nonce, ciphertext: sealed[sealed.startIndex..<split], tag: sealed[split...])
            let plaintext = try AES.GCM.open(box, using: key, authenticating: data)
            index += 1
            return Array(plaintext)
        } catch {
            throw .corrupt("chunk \(index)\(final ? " (final)" : "") failed authentication")
        }
    }
}

import CLibCrypto

/// AES-256 in counter mode with WinZip's counter: a 128-bit **little-endian** block number
/// starting at 1 (BoringSSL's and OpenSSL's CTR modes increment big-endian, which differs after
/// 255 blocks).
///
/// The keystream is made in bulk: ``blocksPerBatch`` counter blocks are laid out in a buffer and
/// encrypted by one libcrypto AES-256-ECB call (no padding), which uses the CPU's AES
/// instructions; ``apply(to:)`` then XORs eight bytes at a time.
final class AESCounterKeystream {
    /// Counter blocks encrypted per libcrypto call (64 KiB of keystream).
    static let blocksPerBatch = 4096
    private static let batchBytes = blocksPerBatch * 16

    private let context: OpaquePointer
    private let keystream: UnsafeMutableRawBufferPointer
    /// The next block number to encrypt. Block numbers stay below 2⁶⁴ (an entry is < 2⁶⁴ bytes),
    /// so the high eight bytes of every counter block are zero.
    private var nextBlock: UInt64 = 1
    /// How much of ``keystream`` has been used; a full batch means "make the next one".
    private var position = batchBytes

    /// Sets up AES-256-ECB encryption with a 32-byte key.
    ///
    /// - Throws: ``ZipError`` `.encryptionFailed` when the key is not 32 bytes or libcrypto fails.
    init(key: [UInt8]) throws {
        guard key.count == 32 else { throw ZipError(.encryptionFailed, "AES-256 needs a 32-byte key, got \(key.count)") }
        guard let context = EVP_CIPHER_CTX_new() else { throw ZipError(.encryptionFailed, "EVP_CIPHER_CTX_new failed") }
        let initialised = key.withUnsafeBufferPointer { keyBytes in
            EVP_EncryptInit_ex(context, EVP_aes_256_ecb(), nil, keyBytes.baseAddress, nil)
        }
        guard initialised == 1, EVP_CIPHER_CTX_set_padding(context, 0) == 1 else {
            EVP_CIPHER_CTX_free(context)
            throw ZipError(.encryptionFailed, "EVP_EncryptInit_ex(aes-256-ecb) failed")
        }
        self.context = context
        self.keystream = .allocate(byteCount: Self.batchBytes, alignment: 16)
    }

    deinit {
        EVP_CIPHER_CTX_free(context)
        keystream.deallocate()
    }

    /// Encrypts (or decrypts: the same operation) `data` in place, continuing the keystream
    /// where the previous call stopped.
    func apply(to data: UnsafeMutableRawBufferPointer) throws {
        guard var pointer = data.baseAddress else { return }
        var left = data.count
        let keystreamBase = keystream.baseAddress.unsafelyUnwrapped
        while left > 0 {
            if position == Self.batchBytes {
                try refill()
            }
            let count = min(left, Self.batchBytes - position)
            Self.xor(pointer, with: keystreamBase + position, count: count)
            position += count
            pointer += count
            left -= count
        }
    }

    /// Encrypts the next ``blocksPerBatch`` counter blocks into ``keystream``.
    private func refill() throws {
        let base = keystream.baseAddress.unsafelyUnwrapped
        for block in 0..<Self.blocksPerBatch {
            let offset = block * 16
            base.storeBytes(of: (nextBlock &+ UInt64(block)).littleEndian, toByteOffset: offset, as: UInt64.self)
            base.storeBytes(of: UInt64(0), toByteOffset: offset + 8, as: UInt64.self)
        }
        nextBlock &+= UInt64(Self.blocksPerBatch)
        var written: Int32 = 0
        let bytes = base.assumingMemoryBound(to: UInt8.self)
        guard EVP_EncryptUpdate(context, bytes, &written, bytes, Int32(Self.batchBytes)) == 1,
              written == Int32(Self.batchBytes)
        else {
            throw ZipError(.encryptionFailed, "EVP_EncryptUpdate(aes-256-ecb) failed")
        }
        position = 0
    }

    /// `data[i] ^= key[i]` for `count` bytes, a word at a time.
    private static func xor(_ data: UnsafeMutableRawPointer, with key: UnsafeRawPointer, count: Int) {
        var index = 0
        while index + 8 <= count {
            let word = data.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                ^ key.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            data.storeBytes(of: word, toByteOffset: index, as: UInt64.self)
            index += 8
        }
        while index < count {
            let byte = data.load(fromByteOffset: index, as: UInt8.self) ^ key.load(fromByteOffset: index, as: UInt8.self)
            data.storeBytes(of: byte, toByteOffset: index, as: UInt8.self)
            index += 1
        }
    }
}

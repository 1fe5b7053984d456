/// The three 32-bit keys of traditional PKWARE encryption (APPNOTE 6.1), initialised from the
/// password and stepped with every plaintext byte.
struct ZipCryptoKeys: Equatable {
    var key0: UInt32 = 0x1234_5678
    var key1: UInt32 = 0x2345_6789
    var key2: UInt32 = 0x3456_7890

    /// The keys after the password's bytes.
    init(password: [UInt8]) {
        CRC32.table.withUnsafeBufferPointer { table in
            for byte in password {
                update(with: byte, table: table)
            }
        }
    }

    init(key0: UInt32, key1: UInt32, key2: UInt32) {
        self.key0 = key0
        self.key1 = key1
        self.key2 = key2
    }

    /// The next keystream byte (`decrypt_byte` in APPNOTE 6.1.5).
    @inline(__always)
    var streamByte: UInt8 {
        let temp = key2 | 2
        return UInt8(truncatingIfNeeded: (temp &* (temp ^ 1)) >> 8)
    }

    /// `update_keys` (APPNOTE 6.1.5) with one plaintext byte.
    @inline(__always)
    mutating func update(with byte: UInt8, table: UnsafeBufferPointer<UInt32>) {
        key0 = (key0 >> 8) ^ table[Int(UInt8(truncatingIfNeeded: key0) ^ byte)]
        key1 = (key1 &+ (key0 & 0xFF)) &* 134_775_813 &+ 1
        key2 = (key2 >> 8) ^ table[Int(UInt8(truncatingIfNeeded: key2) ^ UInt8(truncatingIfNeeded: key1 >> 24))]
    }

    /// Encrypts `data` in place: each byte is XORed with the stream byte, then the keys step
    /// with the plaintext byte.
    mutating func encrypt(_ data: UnsafeMutableRawBufferPointer) {
        guard !data.isEmpty else { return }
        let bytes = data.bindMemory(to: UInt8.self)
        var keys = self  // registers, not memory, in the loop
        CRC32.table.withUnsafeBufferPointer { table in
            for index in bytes.indices {
                let plain = bytes[index]
                bytes[index] = plain ^ keys.streamByte
                keys.update(with: plain, table: table)
            }
        }
        self = keys
    }
}

/// ZipCrypto encryption of one entry: a 12-byte header (11 random bytes and a check byte), then
/// the data. Entries stream with a data descriptor, so the check byte is the high byte of the
/// DOS time rather than of the CRC (APPNOTE 6.1.6; what Info-ZIP zip does when streaming).
final class ZipCryptoEncryptor: EntryEncryptor {
    static let headerLength = 12

    let header: [UInt8]
    private var keys: ZipCryptoKeys

    /// Initialises the keys from `password` and encrypts the header, whose first 11 bytes are
    /// `random` (fresh CSPRNG bytes per entry).
    init(password: [UInt8], checkByte: UInt8, random: [UInt8]) {
        var keys = ZipCryptoKeys(password: password)
        var header = Array(random.prefix(Self.headerLength - 1))
        header += repeatElement(0, count: Self.headerLength - 1 - header.count)
        header.append(checkByte)
        header.withUnsafeMutableBytes { keys.encrypt($0) }
        self.header = header
        self.keys = keys
    }

    func encrypt(_ data: UnsafeMutableRawBufferPointer) throws {
        keys.encrypt(data)
    }

    func finish() -> [UInt8] { [] }
}

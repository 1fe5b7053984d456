import CZlib

/// The CRC-32 of an entry's uncompressed data (APPNOTE 4.4.7; polynomial 0xEDB88320), computed
/// by zlib's `crc32_z`, which processes several bytes per step.
struct CRC32 {
    /// The CRC of everything passed to ``update(_:)`` so far.
    private(set) var value: UInt32 = 0

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        value = UInt32(truncatingIfNeeded: crc32_z(UInt(value), base.assumingMemoryBound(to: UInt8.self), bytes.count))
    }

    /// The byte-at-a-time table for the same polynomial: entry `n` is the CRC register after
    /// shifting byte `n` through it. ZipCrypto's key schedule steps with it.
    static let table: [UInt32] = (0..<256).map { index in
        var crc = UInt32(index)
        for _ in 0..<8 {
            crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1
        }
        return crc
    }
}

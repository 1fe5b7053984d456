/// A ZIP entry as a local file header or a central directory header describes it, read from
/// the bytes at a signature found in an attachment. Only fields that look like a real header
/// are accepted (version, method, name length), so a signature that turns up by chance inside
/// compressed data is not taken for an entry.
struct ZipEntryHeader: Sendable, Equatable {
    /// The entry's name (UTF-8 read leniently; only ASCII names matter for classifying).
    var name: String
    /// General-purpose flag bit 0: the entry is encrypted (ZipCrypto, AES or strong encryption).
    var isEncrypted: Bool

    /// `PK\3\4`.
    static let localSignature: [UInt8] = [0x50, 0x4B, 0x03, 0x04]
    /// `PK\1\2`.
    static let centralSignature: [UInt8] = [0x50, 0x4B, 0x01, 0x02]
    /// `PK\5\6`: the end of the central directory.
    static let endSignature: [UInt8] = [0x50, 0x4B, 0x05, 0x06]
    /// Longer names are not read (no real archive needs them to be classified).
    static let longestName = 1024
    /// The bytes a local header needs, from its signature: fixed part and the longest name.
    static let localWanted = 30 + longestName
    /// The bytes a central directory header needs, from its signature.
    static let centralWanted = 46 + longestName

    /// Compression methods in the ZIP specification (APPNOTE 4.4.5) and WinZip AES (99).
    private static let knownMethods: Set<UInt16> = [0, 1, 2, 3, 4, 5, 6, 8, 9, 10, 12, 14, 16, 18, 19, 20, 93, 94, 95, 96, 97, 98, 99]

    init(name: String, isEncrypted: Bool) {
        self.name = name
        self.isEncrypted = isEncrypted
    }

    /// A local file header starting at `bytes[0]`, or `nil` when it does not look like one.
    init?(local bytes: UnsafeRawBufferPointer) {
        self.init(bytes, versionAt: 4, flagsAt: 6, methodAt: 8, nameLengthAt: 26, nameAt: 30)
    }

    /// A central directory header starting at `bytes[0]`, or `nil` when it does not look like one.
    init?(central bytes: UnsafeRawBufferPointer) {
        self.init(bytes, versionAt: 6, flagsAt: 8, methodAt: 10, nameLengthAt: 28, nameAt: 46)
    }

    private init?(_ bytes: UnsafeRawBufferPointer, versionAt: Int, flagsAt: Int, methodAt: Int, nameLengthAt: Int, nameAt: Int) {
        guard bytes.count >= nameAt else { return nil }
        let nameLength = Int(Self.uint16(bytes, nameLengthAt))
        guard bytes[versionAt] <= 100, Self.knownMethods.contains(Self.uint16(bytes, methodAt)),
            (1...Self.longestName).contains(nameLength), bytes.count >= nameAt + nameLength
        else { return nil }
        name = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[nameAt..<(nameAt + nameLength)]), as: UTF8.self)
        isEncrypted = Self.uint16(bytes, flagsAt) & 1 == 1
    }

    private static func uint16(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> UInt16 {
        UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
    }
}

/// Extra fields this writer emits (APPNOTE 4.5, 4.6; WinZip AE-2 spec). Each encodes as
/// header ID (2) + data size (2) + data, little-endian.
enum ExtraField {
    /// 0x0001, ZIP64 extended information (4.5.3).
    static let zip64ID: UInt16 = 0x0001
    /// 0x5455, extended timestamp (Info-ZIP): the modification time as UTC Unix seconds.
    static let extendedTimestampID: UInt16 = 0x5455
    /// 0x9901, WinZip AES.
    static let winZipAESID: UInt16 = 0x9901
    /// 0xA220, Microsoft Open Packaging Growth Hint (4.6.1): registered padding. A local header
    /// whose entry size is unknown reserves its ZIP64 room with it.
    static let growthHintID: UInt16 = 0xA220

    /// The size of a local header's ZIP64 field, and of the growth hint that reserves it:
    /// 4 + 8 (uncompressed size) + 8 (compressed size).
    static let localZip64Length = 20

    /// The local header's ZIP64 field: both sizes, always (4.5.3: the local header MUST hold both).
    static func localZip64(uncompressedSize: UInt64, compressedSize: UInt64) -> [UInt8] {
        var bytes = [UInt8]()
        bytes.appendLE16(zip64ID)
        bytes.appendLE16(16)
        bytes.appendLE64(uncompressedSize)
        bytes.appendLE64(compressedSize)
        return bytes
    }

    /// Padding of ``localZip64Length`` bytes: signature 0xA028, initial padding value 0, zeros.
    static func growthHint() -> [UInt8] {
        var bytes = [UInt8]()
        bytes.appendLE16(growthHintID)
        bytes.appendLE16(UInt16(localZip64Length - 4))
        bytes.appendLE16(0xA028)
        bytes.appendLE16(0)
        bytes.append(contentsOf: repeatElement(0, count: localZip64Length - 8))
        return bytes
    }

    /// The central header's ZIP64 field: only the values whose 32-bit field holds 0xFFFFFFFF,
    /// in the order uncompressed size, compressed size, local header offset. Empty if none.
    static func centralZip64(uncompressedSize: UInt64?, compressedSize: UInt64?, localHeaderOffset: UInt64?) -> [UInt8] {
        let values = [uncompressedSize, compressedSize, localHeaderOffset].compactMap { $0 }
        guard !values.isEmpty else { return [] }
        var bytes = [UInt8]()
        bytes.appendLE16(zip64ID)
        bytes.appendLE16(UInt16(values.count * 8))
        for value in values {
            bytes.appendLE64(value)
        }
        return bytes
    }

    /// The WinZip AES field, AE-2: vendor version 2, vendor ID "AE", strength 3 (AES-256), and
    /// the real compression method.
    static func winZipAES(method: UInt16) -> [UInt8] {
        var bytes = [UInt8]()
        bytes.appendLE16(winZipAESID)
        bytes.appendLE16(7)
        bytes.appendLE16(2)
        bytes.append(contentsOf: [UInt8(ascii: "A"), UInt8(ascii: "E"), 3])
        bytes.appendLE16(method)
        return bytes
    }

    /// The extended timestamp with the modification time only (flags bit 0). The same 9 bytes
    /// serve the local and the central header (the central form never carries more than mtime).
    static func extendedTimestamp(unixTime: Int32) -> [UInt8] {
        var bytes = [UInt8]()
        bytes.appendLE16(extendedTimestampID)
        bytes.appendLE16(5)
        bytes.append(1)
        bytes.appendLE32(UInt32(bitPattern: unixTime))
        return bytes
    }
}

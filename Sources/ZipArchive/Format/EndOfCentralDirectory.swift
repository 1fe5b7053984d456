/// The records after the central directory (APPNOTE 4.3.14–4.3.16): the ZIP64 end of central
/// directory record and its locator when needed, then the classic end record.
struct EndOfCentralDirectory {
    var entryCount: UInt64
    var centralDirectorySize: UInt64
    var centralDirectoryOffset: UInt64
    /// Where the ZIP64 end record would start: right after the central directory.
    var zip64RecordOffset: UInt64 { centralDirectoryOffset + centralDirectorySize }
    var forceZip64: Bool

    /// ZIP64 end records are written when a count or an offset does not fit its classic field
    /// (or when forced).
    var needsZip64: Bool {
        forceZip64
            || entryCount >= UInt64(ZipLimit.marker16)
            || centralDirectorySize >= UInt64(ZipLimit.marker32)
            || centralDirectoryOffset >= UInt64(ZipLimit.marker32)
    }

    /// The encoded records. With ZIP64, every classic field that does not fit — all of them
    /// when forced — holds its marker value, so readers take the ZIP64 record.
    func encoded() -> [UInt8] {
        var bytes = [UInt8]()
        let zip64 = needsZip64
        if zip64 {
            bytes.appendLE32(ZipSignature.zip64EndOfCentralDirectory)
            bytes.appendLE64(44)  // size of the rest of this record
            bytes.appendLE16(ZipVersion.madeByUnix)
            bytes.appendLE16(ZipVersion.zip64)
            bytes.appendLE32(0)  // this disk
            bytes.appendLE32(0)  // disk with the central directory
            bytes.appendLE64(entryCount)  // entries on this disk
            bytes.appendLE64(entryCount)  // entries in total
            bytes.appendLE64(centralDirectorySize)
            bytes.appendLE64(centralDirectoryOffset)

            bytes.appendLE32(ZipSignature.zip64EndOfCentralDirectoryLocator)
            bytes.appendLE32(0)  // disk with the ZIP64 end record
            bytes.appendLE64(zip64RecordOffset)
            bytes.appendLE32(1)  // total disks
        }
        let count: UInt16 = forceZip64 || entryCount >= UInt64(ZipLimit.marker16) ? ZipLimit.marker16 : UInt16(entryCount)
        let size = forceZip64 || centralDirectorySize >= UInt64(ZipLimit.marker32)
            ? ZipLimit.marker32 : UInt32(centralDirectorySize)
        let offset = forceZip64 || centralDirectoryOffset >= UInt64(ZipLimit.marker32)
            ? ZipLimit.marker32 : UInt32(centralDirectoryOffset)
        bytes.appendLE32(ZipSignature.endOfCentralDirectory)
        bytes.appendLE16(0)  // this disk
        bytes.appendLE16(0)  // disk with the central directory
        bytes.appendLE16(count)
        bytes.appendLE16(count)
        bytes.appendLE32(size)
        bytes.appendLE32(offset)
        bytes.appendLE16(0)  // comment length
        return bytes
    }
}

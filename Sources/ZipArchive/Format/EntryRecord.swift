/// What the writer knows about one entry: enough to encode its local header (before and after
/// the data), its data descriptor and its central directory header.
struct EntryRecord {
    /// The room reserved in the local header for ZIP64 sizes.
    enum LocalZip64Room: Equatable {
        /// None: the entry must stay below 4 GiB (its size hint said so).
        case none
        /// A ZIP64 extra field (forced, or a size hint near or over 4 GiB).
        case zip64
        /// A growth-hint padding field that becomes a ZIP64 field if the entry reaches 4 GiB
        /// (size unknown when the entry began).
        case reserved
    }

    var name: ZipEntryName
    var encryption: ZipEncryption
    /// The real method: ``ZipMethod/stored`` or ``ZipMethod/deflated``.
    var compressionMethod: UInt16
    var modified: DOSDateTime
    /// The modification time for the extended-timestamp field; nil outside Int32's range.
    var unixTime: Int32?
    var localHeaderOffset: UInt64
    var localZip64: LocalZip64Room
    var forceZip64: Bool
    var crc32: UInt32 = 0
    var compressedSize: UInt64 = 0
    var uncompressedSize: UInt64 = 0

    /// ZipCrypto streams with a data descriptor (bit 3): the CRC is unknown until the end, so the
    /// encryption header's check byte is the DOS time's high byte, as Info-ZIP zip does.
    var usesDataDescriptor: Bool { encryption == .zipCrypto }

    var flags: UInt16 {
        var flags: UInt16 = 0
        if encryption != .none { flags |= ZipFlag.encrypted }
        if usesDataDescriptor { flags |= ZipFlag.dataDescriptor }
        if name.isUTF8 { flags |= ZipFlag.utf8 }
        return flags
    }

    /// The method field of both headers: 99 for WinZip AES, else the real method.
    var headerMethod: UInt16 { encryption == .aes256 ? ZipMethod.winZipAES : compressionMethod }

    /// AE-2 stores 0 as the CRC (the HMAC authenticates instead); the others store the CRC.
    var storedCRC: UInt32 { encryption == .aes256 ? 0 : crc32 }

    /// Whether the sizes or the offset need ZIP64 in the central directory.
    var centralNeedsZip64: (uncompressed: Bool, compressed: Bool, offset: Bool) {
        (
            forceZip64 || uncompressedSize >= UInt64(ZipLimit.marker32),
            forceZip64 || compressedSize >= UInt64(ZipLimit.marker32),
            forceZip64 || localHeaderOffset >= UInt64(ZipLimit.marker32)
        )
    }

    /// Whether the local header carries (or will carry) a ZIP64 field, which also makes the data
    /// descriptor's sizes 8 bytes each (4.3.9.2).
    var localHasZip64: Bool { localZip64 == .zip64 }

    var usesZip64: Bool {
        let central = centralNeedsZip64
        return localHasZip64 || central.uncompressed || central.compressed || central.offset
    }

    var versionNeeded: UInt16 {
        if encryption == .aes256 { return ZipVersion.winZipAES }
        if usesZip64 { return ZipVersion.zip64 }
        if compressionMethod == ZipMethod.deflated || encryption == .zipCrypto { return ZipVersion.deflateOrZipCrypto }
        return ZipVersion.stored
    }

    /// UTF-8 names come from a UNIX host; legacy names from an MS-DOS host, because readers
    /// apply the OEM code page (CP932 on Japanese Windows; `unzip -O`) only to DOS/Windows hosts.
    var versionMadeBy: UInt16 { name.isUTF8 ? ZipVersion.madeByUnix : ZipVersion.madeByMSDOS }

    /// External attributes of a regular file: UNIX host, mode 0644 in the high half; MS-DOS
    /// host, the archive attribute (0x20) only, as Windows tools write (unzip then applies its
    /// default 0666 minus umask).
    var externalAttributes: UInt32 { name.isUTF8 ? UInt32(0o100644) << 16 : 0x20 }

    /// Extra fields both headers share, after the ZIP64 one.
    private var commonExtra: [UInt8] {
        var extra = [UInt8]()
        if encryption == .aes256 { extra += ExtraField.winZipAES(method: compressionMethod) }
        if let unixTime { extra += ExtraField.extendedTimestamp(unixTime: unixTime) }
        return extra
    }

    /// The local header. Its length never changes between the placeholder written before the
    /// data and the final one written over it: the ZIP64 room is the first extra field and the
    /// same size in every state.
    func localHeader() -> [UInt8] {
        let sizesKnown = !usesDataDescriptor
        var extra = [UInt8]()
        switch localZip64 {
        case .none: break
        case .zip64:
            extra += ExtraField.localZip64(
                uncompressedSize: sizesKnown ? uncompressedSize : 0,
                compressedSize: sizesKnown ? compressedSize : 0
            )
        case .reserved: extra += ExtraField.growthHint()
        }
        extra += commonExtra
        var bytes = [UInt8]()
        bytes.reserveCapacity(30 + name.bytes.count + extra.count)
        bytes.appendLE32(ZipSignature.localFileHeader)
        bytes.appendLE16(versionNeeded)
        bytes.appendLE16(flags)
        bytes.appendLE16(headerMethod)
        bytes.appendLE16(modified.time)
        bytes.appendLE16(modified.date)
        bytes.appendLE32(sizesKnown ? storedCRC : 0)
        if localHasZip64 {
            bytes.appendLE32(ZipLimit.marker32)
            bytes.appendLE32(ZipLimit.marker32)
        } else {
            bytes.appendLE32(sizesKnown ? UInt32(truncatingIfNeeded: compressedSize) : 0)
            bytes.appendLE32(sizesKnown ? UInt32(truncatingIfNeeded: uncompressedSize) : 0)
        }
        bytes.appendLE16(UInt16(name.bytes.count))
        bytes.appendLE16(UInt16(extra.count))
        bytes += name.bytes
        bytes += extra
        return bytes
    }

    /// The data descriptor after the data of a bit-3 entry: signature, CRC, sizes (8 bytes each
    /// when the local header has a ZIP64 field, else 4).
    func dataDescriptor() -> [UInt8] {
        var bytes = [UInt8]()
        bytes.appendLE32(ZipSignature.dataDescriptor)
        bytes.appendLE32(storedCRC)
        if localHasZip64 {
            bytes.appendLE64(compressedSize)
            bytes.appendLE64(uncompressedSize)
        } else {
            bytes.appendLE32(UInt32(truncatingIfNeeded: compressedSize))
            bytes.appendLE32(UInt32(truncatingIfNeeded: uncompressedSize))
        }
        return bytes
    }

    /// The central directory header, appended to `bytes`.
    func appendCentralHeader(to bytes: inout [UInt8]) {
        let zip64 = centralNeedsZip64
        let extra = ExtraField.centralZip64(
            uncompressedSize: zip64.uncompressed ? uncompressedSize : nil,
            compressedSize: zip64.compressed ? compressedSize : nil,
            localHeaderOffset: zip64.offset ? localHeaderOffset : nil
        ) + commonExtra
        bytes.appendLE32(ZipSignature.centralFileHeader)
        bytes.appendLE16(versionMadeBy)
        bytes.appendLE16(versionNeeded)
        bytes.appendLE16(flags)
        bytes.appendLE16(headerMethod)
        bytes.appendLE16(modified.time)
        bytes.appendLE16(modified.date)
        bytes.appendLE32(storedCRC)
        bytes.appendLE32(zip64.compressed ? ZipLimit.marker32 : UInt32(compressedSize))
        bytes.appendLE32(zip64.uncompressed ? ZipLimit.marker32 : UInt32(uncompressedSize))
        bytes.appendLE16(UInt16(name.bytes.count))
        bytes.appendLE16(UInt16(extra.count))
        bytes.appendLE16(0)  // comment length
        bytes.appendLE16(0)  // disk number start
        bytes.appendLE16(0)  // internal attributes
        bytes.appendLE32(externalAttributes)
        bytes.appendLE32(zip64.offset ? ZipLimit.marker32 : UInt32(localHeaderOffset))
        bytes += name.bytes
        bytes += extra
    }
}

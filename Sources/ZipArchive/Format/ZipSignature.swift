/// Record signatures and fixed values of the ZIP format (PKWARE APPNOTE.TXT 6.3.x, section 4.3).
enum ZipSignature {
    /// `PK\3\4`, local file header (4.3.7).
    static let localFileHeader: UInt32 = 0x0403_4B50
    /// `PK\7\8`, data descriptor (4.3.9), written when general purpose bit 3 is set.
    static let dataDescriptor: UInt32 = 0x0807_4B50
    /// `PK\1\2`, central directory file header (4.3.12).
    static let centralFileHeader: UInt32 = 0x0201_4B50
    /// `PK\6\6`, ZIP64 end of central directory record (4.3.14).
    static let zip64EndOfCentralDirectory: UInt32 = 0x0606_4B50
    /// `PK\6\7`, ZIP64 end of central directory locator (4.3.15).
    static let zip64EndOfCentralDirectoryLocator: UInt32 = 0x0706_4B50
    /// `PK\5\6`, end of central directory record (4.3.16).
    static let endOfCentralDirectory: UInt32 = 0x0605_4B50
}

/// Limits and marker values of the 32- and 16-bit fields.
enum ZipLimit {
    /// A 32-bit size or offset field holding this value means "see the ZIP64 field" (4.4.8).
    static let marker32: UInt32 = 0xFFFF_FFFF
    /// A 16-bit entry count holding this value means "see the ZIP64 record" (4.4.21).
    static let marker16: UInt16 = 0xFFFF
    /// The largest name or extra field length.
    static let maxField = 0xFFFF
}

/// Compression method codes (4.4.5) and the WinZip AES pseudo-method.
enum ZipMethod {
    static let stored: UInt16 = 0
    static let deflated: UInt16 = 8
    /// WinZip AES: the real method is in the 0x9901 extra field (AE-2 spec).
    static let winZipAES: UInt16 = 99
}

/// General purpose bit flags (4.4.4).
enum ZipFlag {
    /// Bit 0: the entry is encrypted.
    static let encrypted: UInt16 = 1 << 0
    /// Bit 3: CRC and sizes are zero in the local header and follow the data in a descriptor.
    static let dataDescriptor: UInt16 = 1 << 3
    /// Bit 11: the name (and comment) are UTF-8.
    static let utf8: UInt16 = 1 << 11
}

/// "Version needed to extract" values (4.4.3.2).
enum ZipVersion {
    static let stored: UInt16 = 10
    /// Deflate and traditional PKWARE encryption.
    static let deflateOrZipCrypto: UInt16 = 20
    static let zip64: UInt16 = 45
    /// WinZip AES (AE-1/AE-2 spec: "version needed to extract" 51).
    static let winZipAES: UInt16 = 51
    /// The low byte of "version made by": this writer follows APPNOTE 6.3.
    static let specification: UInt16 = 63
    /// "Version made by" with host UNIX (3): the external attributes carry a file mode.
    static let madeByUnix: UInt16 = 3 << 8 | specification
    /// "Version made by" with host MS-DOS (0): names without bit 11 are in the OEM code page.
    /// Windows Explorer, 7-Zip on Windows and `unzip -O CHARSET` (the Ubuntu/Fedora iconv patch)
    /// decode legacy names only for DOS/Windows hosts (`-I` covers the others).
    static let madeByMSDOS: UInt16 = specification
}

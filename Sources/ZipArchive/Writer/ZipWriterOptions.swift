import Foundation

/// How a ``ZipWriter`` encodes every entry of one archive.
public struct ZipWriterOptions: Sendable {
    /// The encryption of every entry (default WinZip AES-256).
    public var encryption: ZipEncryption = .aes256
    /// The zlib level, 1...9 for deflate (method 8); 0 stores the entries uncompressed (method 0).
    public var compressionLevel: Int32 = 6
    /// Write ZIP64 records even for small archives: a ZIP64 extra field in every local and central
    /// header (with the 32-bit fields set to 0xFFFFFFFF) and the ZIP64 end records. For tests;
    /// readers must cope with it.
    public var forceZip64 = false
    /// The time zone of the MS-DOS date and time fields (the extended-timestamp extra field
    /// carries the exact UTC time as well). `nil`, the default, is the process's local time
    /// zone as the C library sees it (`TZ`, /etc/localtime), as Info-ZIP zip and 7-Zip do, so
    /// Windows Explorer shows the local time.
    public var timeZone: TimeZone?

    /// Creates options; see each property.
    public init(encryption: ZipEncryption = .aes256, compressionLevel: Int32 = 6, forceZip64: Bool = false) {
        self.encryption = encryption
        self.compressionLevel = compressionLevel
        self.forceZip64 = forceZip64
    }
}

/// An entry name as stored: UTF-8 (general purpose flag bit 11) or legacy bytes (e.g. CP932 for
/// old Windows Explorer, which decodes names without bit 11 in the system's OEM code page).
///
/// The bytes are written as given: no Unicode normalisation, no path clean-up. Use `/` as the
/// separator; the writer rejects an empty name, a NUL byte, and more than 65,535 bytes.
public struct ZipEntryName: Sendable, Equatable {
    /// The name exactly as it goes into the local and central headers.
    public let bytes: [UInt8]
    /// Whether the name is UTF-8; sets general purpose flag bit 11 ("language encoding").
    public let isUTF8: Bool

    /// A UTF-8 name. Bit 11 is set for every UTF-8 name, plain ASCII included (harmless for
    /// readers that ignore it: ASCII reads the same in every code page they use).
    public init(utf8 name: String) {
        self.bytes = Array(name.utf8)
        self.isUTF8 = true
    }

    /// A name from raw bytes; `isUTF8` says whether to set bit 11.
    public init(bytes: [UInt8], isUTF8: Bool) {
        self.bytes = bytes
        self.isUTF8 = isUTF8
    }

    /// The name as text, for messages: decoded as UTF-8 (legacy bytes show replacement characters).
    var displayName: String { String(decoding: bytes, as: UTF8.self) }
}

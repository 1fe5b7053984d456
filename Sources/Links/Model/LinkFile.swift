/// One file behind a link, as recorded when the link was created.
public struct LinkFile: Hashable, Sendable {
    /// The file name shown on the page and sent in `Content-Disposition`.
    public var name: String
    /// The MIME type sent with the download.
    public var contentType: String
    /// Plaintext size in bytes.
    public var size: Int64
    /// SHA-256 of the plaintext, lowercase hex (shown shortened on the page, checked after
    /// decryption).
    public var sha256: String

    public init(name: String, contentType: String, size: Int64, sha256: String) {
        self.name = name
        self.contentType = contentType
        self.size = size
        self.sha256 = sha256
    }
}

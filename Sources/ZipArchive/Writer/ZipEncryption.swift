/// How the data of every entry in an archive is encrypted (docs/zip.md).
public enum ZipEncryption: String, Sendable, CaseIterable {
    /// No encryption.
    case none
    /// WinZip AES-256, format AE-2: method 99 with the real method in extra field 0x9901, a
    /// 16-byte salt, PBKDF2-HMAC-SHA1 (1000 rounds) keys, AES-CTR and a 10-byte HMAC-SHA1 code.
    /// Read by 7-Zip, WinZip, WinRAR, Info-ZIP unzip 6.1+; not by Windows Explorer or unzip 6.0.
    case aes256
    /// Traditional PKWARE encryption ("ZipCrypto"). Weak — known-plaintext attacks recover the
    /// keys — but every reader, Windows Explorer included, opens it.
    case zipCrypto = "zipcrypto"
}

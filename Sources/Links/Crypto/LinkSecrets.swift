import Crypto
import Foundation

/// The secrets of a link and what the store keeps of them (docs/links.md, "Keys").
///
/// - The download token and the revoke token are 256 random bits each, as base64url text.
///   The database keeps only their SHA-256 (``lookupDigest(of:)``) to find the link.
/// - Each link has a random 256-bit key that encrypts its blobs. It is stored wrapped
///   (AES-256-GCM) under a key-encryption key derived from the download token with
///   HKDF-SHA256 and a per-link salt, so the database and the blobs together cannot be
///   decrypted without the URL.
public enum LinkSecrets {
    /// Bytes of randomness in a token.
    static let tokenBytes = 32
    /// Bytes of the HKDF salt stored per link.
    static let saltBytes = 32
    private static let wrapInfo = Array("sekisho links v1 key-encryption key".utf8)
    private static let wrapAAD = Array("sekisho links v1 wrapped link key".utf8)

    /// A fresh token: ``tokenBytes`` random bytes, base64url without padding (43 characters).
    static func makeToken(using generator: inout some RandomNumberGenerator) -> String {
        base64URL(randomBytes(tokenBytes, using: &generator))
    }

    /// Random bytes from `generator`.
    public static func randomBytes(_ count: Int, using generator: inout some RandomNumberGenerator) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    /// Whether `text` looks like a token (43 base64url characters); anything else is not
    /// looked up at all.
    static func isWellFormed(_ text: String) -> Bool {
        text.utf8.count == 43
            && text.utf8.allSatisfy { byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a)
                    || byte == 0x2d || byte == 0x5f
            }
    }

    /// SHA-256 of a token's text, lowercase hex: the database's lookup key.
    static func lookupDigest(of token: String) -> String {
        hex(SHA256.hash(data: Array(token.utf8)))
    }

    /// The key-encryption key for a link: HKDF-SHA256 over the token with the link's salt.
    static func keyEncryptionKey(token: String, salt: [UInt8]) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: Array(token.utf8)), salt: salt, info: wrapInfo, outputByteCount: 32)
    }

    /// The link key sealed under the token's key-encryption key (nonce | ciphertext | tag, 60 bytes).
    static func wrap(_ linkKey: SymmetricKey, token: String, salt: [UInt8]) throws -> [UInt8] {
        let box = try linkKey.withUnsafeBytes { raw in
            try AES.GCM.seal(Array(raw), using: keyEncryptionKey(token: token, salt: salt), authenticating: wrapAAD)
        }
        guard let combined = box.combined else { throw LinkError.corrupt("cannot wrap the link key") }
        return Array(combined)
    }

    /// Opens a wrapped link key with the token.
    /// - Throws: ``LinkError`` (corrupt) when it does not open: a different token, or a
    ///   damaged record.
    static func unwrap(_ wrapped: [UInt8], token: String, salt: [UInt8]) throws(LinkError) -> SymmetricKey {
        do {
            let box = try AES.GCM.SealedBox(combined: wrapped)
            let raw = try AES.GCM.open(box, using: keyEncryptionKey(token: token, salt: salt), authenticating: wrapAAD)
            guard raw.count == 32 else { throw LinkError.corrupt("the wrapped link key has \(raw.count) bytes") }
            return SymmetricKey(data: raw)
        } catch {
            throw .corrupt("the link key does not unwrap with this token")
        }
    }

    /// Compares two byte strings in time that depends only on their lengths.
    public static func constantTimeEqual(_ a: some Collection<UInt8>, _ b: some Collection<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }

    /// Lowercase hex.
    public static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// base64url without padding (RFC 4648 §5).
    public static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}

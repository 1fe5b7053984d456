import Crypto
import _CryptoExtras

/// The keys of one WinZip AES-256 entry (AE-1/AE-2 spec): PBKDF2-HMAC-SHA1 over the password
/// and the entry's salt, 1000 rounds, 66 bytes = AES key (32) + HMAC key (32) + verifier (2).
struct WinZipAESKeys {
    /// The salt length for AES-256.
    static let saltLength = 16
    /// The length of the truncated HMAC-SHA1 that follows the data.
    static let authenticationCodeLength = 10

    let encryptionKey: [UInt8]
    let authenticationKey: [UInt8]
    let passwordVerifier: [UInt8]

    /// Derives the keys.
    ///
    /// - Throws: ``ZipError`` `.encryptionFailed` when the salt is not 16 bytes or PBKDF2 fails.
    init(password: [UInt8], salt: [UInt8]) throws {
        guard salt.count == Self.saltLength else {
            throw ZipError(.encryptionFailed, "AES-256 needs a \(Self.saltLength)-byte salt, got \(salt.count)")
        }
        let derived: SymmetricKey
        do {
            // 1000 rounds is the format's fixed count; swift-crypto's checked API demands more.
            derived = try KDF.Insecure.PBKDF2.deriveKey(
                from: password, salt: salt, using: .insecureSHA1, outputByteCount: 66, unsafeUncheckedRounds: 1000
            )
        } catch {
            throw ZipError(.encryptionFailed, "PBKDF2-HMAC-SHA1 failed: \(error)")
        }
        let bytes = derived.withUnsafeBytes { Array($0) }
        encryptionKey = Array(bytes[0..<32])
        authenticationKey = Array(bytes[32..<64])
        passwordVerifier = Array(bytes[64..<66])
    }
}

/// WinZip AES-256 encryption of one entry: salt + verifier, then the data encrypted with
/// little-endian-counter AES-CTR, then HMAC-SHA1 of the ciphertext truncated to 10 bytes.
final class WinZipAESEncryptor: EntryEncryptor {
    let header: [UInt8]
    private let keystream: AESCounterKeystream
    private var authenticator: HMAC<Insecure.SHA1>

    /// Derives the keys from `password` and `salt` (16 bytes; fresh random bytes per entry).
    ///
    /// - Throws: ``ZipError`` `.encryptionFailed` from key derivation or libcrypto.
    init(password: [UInt8], salt: [UInt8]) throws {
        let keys = try WinZipAESKeys(password: password, salt: salt)
        header = salt + keys.passwordVerifier
        keystream = try AESCounterKeystream(key: keys.encryptionKey)
        authenticator = HMAC(key: SymmetricKey(data: keys.authenticationKey))
    }

    func encrypt(_ data: UnsafeMutableRawBufferPointer) throws {
        try keystream.apply(to: data)
        authenticator.update(data: UnsafeRawBufferPointer(data))
    }

    func finish() -> [UInt8] {
        Array(authenticator.finalize().prefix(WinZipAESKeys.authenticationCodeLength))
    }
}

import Crypto
import Foundation
import _CryptoExtras

/// A download password as stored: PBKDF2-HMAC-SHA256 with a random 16-byte salt, encoded as
/// `pbkdf2-sha256$<rounds>$<salt base64>$<hash base64>`.
///
/// 210 000 rounds is OWASP's current figure for PBKDF2-HMAC-SHA256 and the minimum swift-crypto
/// accepts without the "unsafe" entry point. Passwords are NFC-normalised first, so the same
/// characters typed on different systems match.
public struct PasswordHash: Hashable, Sendable {
    /// The rounds of a new hash (and the least a stored one may have).
    public static let rounds = 210_000
    static let prefix = "pbkdf2-sha256"

    let rounds: Int
    let salt: [UInt8]
    let hash: [UInt8]

    /// Hashes a new password with a fresh salt.
    public static func make(password: String, using generator: inout some RandomNumberGenerator) throws -> PasswordHash {
        let salt = LinkSecrets.randomBytes(16, using: &generator)
        return PasswordHash(rounds: rounds, salt: salt, hash: try derive(password, salt: salt, rounds: rounds))
    }

    private init(rounds: Int, salt: [UInt8], hash: [UInt8]) {
        self.rounds = rounds
        self.salt = salt
        self.hash = hash
    }

    /// Reads a stored hash.
    /// - Throws: ``LinkError`` (corrupt) for anything but the format above with ≥ 210 000 rounds.
    public init(encoded: String) throws(LinkError) {
        let parts = encoded.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == Self.prefix, let rounds = Int(parts[1]), rounds >= Self.rounds,
            let salt = Data(base64Encoded: String(parts[2])), let hash = Data(base64Encoded: String(parts[3])),
            salt.count >= 16, hash.count == 32
        else { throw .corrupt("the stored password hash is not pbkdf2-sha256 with at least \(Self.rounds) rounds") }
        self.init(rounds: rounds, salt: Array(salt), hash: Array(hash))
    }

    /// The stored form.
    public var encoded: String {
        "\(Self.prefix)$\(rounds)$\(Data(salt).base64EncodedString())$\(Data(hash).base64EncodedString())"
    }

    /// Whether `password` matches, compared in constant time. Slow on purpose (tens of
    /// milliseconds): call it off the cooperative thread pool.
    public func verify(_ password: String) -> Bool {
        guard let candidate = try? Self.derive(password, salt: salt, rounds: rounds) else { return false }
        return LinkSecrets.constantTimeEqual(candidate, hash)
    }

    private static func derive(_ password: String, salt: [UInt8], rounds: Int) throws -> [UInt8] {
        let normalized = Array(password.precomposedStringWithCanonicalMapping.utf8)
        let key = try KDF.Insecure.PBKDF2.deriveKey(
            from: normalized, salt: salt, using: .sha256, outputByteCount: 32, rounds: rounds)
        return key.withUnsafeBytes { Array($0) }
    }
}

import Crypto
import Foundation
import Testing

@testable import Links

/// Tokens, key wrapping and password hashes.
@Suite("Secrets")
struct SecretsTests {
    @Test("tokens are 43 base64url characters of 256 fresh bits")
    func tokens() {
        var generator = SystemRandomNumberGenerator()
        let tokens = (0..<500).map { _ in LinkSecrets.makeToken(using: &generator) }
        #expect(Set(tokens).count == tokens.count)
        for token in tokens {
            #expect(LinkSecrets.isWellFormed(token))
            let padded = token.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/") + "="
            #expect(Data(base64Encoded: padded)?.count == 32)
        }
        #expect(!LinkSecrets.isWellFormed("short"))
        #expect(!LinkSecrets.isWellFormed(String(repeating: "a", count: 42) + "/"))
    }

    @Test("the lookup digest is SHA-256 of the token; the wrapped key opens only with the token")
    func wrapping() throws {
        var generator = SystemRandomNumberGenerator()
        let token = LinkSecrets.makeToken(using: &generator)
        #expect(LinkSecrets.lookupDigest(of: token) == sha256Hex(Array(token.utf8)))
        let salt = LinkSecrets.randomBytes(32, using: &generator)
        let key = SymmetricKey(size: .bits256)
        let wrapped = try LinkSecrets.wrap(key, token: token, salt: salt)
        #expect(wrapped.count == 12 + 32 + 16)
        let unwrapped = try LinkSecrets.unwrap(wrapped, token: token, salt: salt)
        #expect(unwrapped == key)
        #expect(throws: LinkError.self) {
            try LinkSecrets.unwrap(wrapped, token: LinkSecrets.makeToken(using: &generator), salt: salt)
        }
        #expect(throws: LinkError.self) {
            try LinkSecrets.unwrap(wrapped, token: token, salt: LinkSecrets.randomBytes(32, using: &generator))
        }
        let raw = key.withUnsafeBytes { Array($0) }
        #expect(
            !wrapped.indices.contains { index in
                index + 32 <= wrapped.count && Array(wrapped[index..<index + 32]) == raw
            })
    }

    @Test("constant-time comparison")
    func constantTime() {
        #expect(LinkSecrets.constantTimeEqual([1, 2, 3], [1, 2, 3]))
        #expect(!LinkSecrets.constantTimeEqual([1, 2, 3], [1, 2, 4]))
        #expect(!LinkSecrets.constantTimeEqual([1, 2, 3], [1, 2]))
    }

    @Test("passwords: PBKDF2-HMAC-SHA256, 210000 rounds, salted, NFC-normalised")
    func passwords() throws {
        var generator = SystemRandomNumberGenerator()
        let hash = try PasswordHash.make(password: "ガイド-2026", using: &generator)
        #expect(hash.rounds >= 210_000)
        #expect(hash.encoded.hasPrefix("pbkdf2-sha256$210000$"))
        let decoded = try PasswordHash(encoded: hash.encoded)
        #expect(decoded.verify("ガイド-2026"))
        // The same text with ガ decomposed (カ + U+3099).
        #expect(decoded.verify("\u{30AB}\u{3099}イド-2026"))
        #expect(!decoded.verify("ガイド-2027"))
        #expect(!decoded.verify(""))
        let other = try PasswordHash.make(password: "ガイド-2026", using: &generator)
        #expect(other.encoded != hash.encoded)
        let weak = hash.encoded.replacingOccurrences(of: "$210000$", with: "$1000$")
        #expect(throws: LinkError.self) { try PasswordHash(encoded: weak) }
    }
}

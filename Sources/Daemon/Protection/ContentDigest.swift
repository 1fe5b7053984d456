import Crypto
import Foundation
import MailMessage

/// The decoded size and SHA-256 of a part's content, fed in chunks: what a list of removed
/// files tells the sender, so they can tell which file it was.
struct ContentDigest: Sendable, Equatable {
    /// Decoded bytes.
    var size: Int
    /// Lowercase hex.
    var sha256: String

    /// Reads `entity`'s decoded content once (a message/rfc822 part: the forwarded message).
    init(of entity: MIMEEntity) throws {
        var hasher = Hasher()
        try entity.forEachDecodedChunk { hasher.update($0) }
        self = hasher.finish()
    }

    init(size: Int, sha256: String) {
        self.size = size
        self.sha256 = sha256
    }

    /// Accumulates a digest chunk by chunk (for readers that look at the bytes as well).
    struct Hasher {
        private var hash = SHA256()
        private var size = 0

        mutating func update(_ chunk: UnsafeRawBufferPointer) {
            hash.update(bufferPointer: chunk)
            size += chunk.count
        }

        func finish() -> ContentDigest {
            ContentDigest(size: size, sha256: hash.finalize().map { String(format: "%02x", $0) }.joined())
        }
    }
}

import Crypto
import NIOPosix

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads one blob and hands out its plaintext, for one download.
///
/// Reads happen on NIO's blocking thread pool. Only authenticated plaintext is returned, and
/// the last piece only after the whole file's size and SHA-256 matched the record, so a
/// download that ends normally has been checked end to end. Not thread-safe: one task owns it.
final class BlobReader {
    /// Bytes read from disk at a time.
    static let readSize = 256 * 1024

    private let descriptor: CInt
    private let path: String
    private let expectedSize: Int64
    private let expectedSHA256: String
    private var opener: StreamOpener
    private var digest = SHA256()
    private var finished = false
    /// Plaintext handed out so far.
    private(set) var plaintextBytes: Int64 = 0

    /// Opens the blob at `path`.
    /// - Throws: ``LinkError`` (corrupt) when the blob is missing, (storage) when it cannot be opened.
    init(path: String, key: SymmetricKey, expectedSize: Int64, expectedSHA256: String) throws(LinkError) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            if errno == ENOENT { throw .corrupt("the blob is missing", path: path) }
            throw .storage("cannot open the blob", path: path, errno: errno)
        }
        self.descriptor = descriptor
        self.path = path
        self.expectedSize = expectedSize
        self.expectedSHA256 = expectedSHA256
        self.opener = StreamOpener(key: key)
    }

    deinit {
        close(descriptor)
    }

    /// The next piece of plaintext (never empty), or `nil` after the last one.
    /// - Throws: ``LinkError`` (corrupt) when the blob fails authentication, is cut short, or
    ///   does not match the recorded size or digest; (storage) when reading fails.
    func next() async throws -> [UInt8]? {
        while !finished {
            let descriptor = self.descriptor
            let path = self.path
            let bytes = try await NIOThreadPool.singleton.runIfActive { () throws -> [UInt8] in
                var buffer = [UInt8](repeating: 0, count: BlobReader.readSize)
                while true {
                    let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                    if count >= 0 { return Array(buffer[0..<count]) }
                    if errno != EINTR { throw LinkError.storage("cannot read the blob", path: path, errno: errno) }
                }
            }
            var plaintext: [UInt8]
            if bytes.isEmpty {
                plaintext = try opener.finish()
                finished = true
            } else {
                plaintext = try opener.push(bytes)
            }
            try account(plaintext)
            if finished {
                guard plaintextBytes == expectedSize else {
                    throw LinkError.corrupt(
                        "the blob holds \(plaintextBytes) bytes, the record says \(expectedSize)", path: path)
                }
                guard LinkSecrets.hex(digest.finalize()) == expectedSHA256 else {
                    throw LinkError.corrupt("the blob's SHA-256 does not match the record", path: path)
                }
            }
            if !plaintext.isEmpty { return plaintext }
        }
        return nil
    }

    private func account(_ plaintext: [UInt8]) throws(LinkError) {
        plaintextBytes += Int64(plaintext.count)
        guard plaintextBytes <= expectedSize else {
            throw .corrupt("the blob holds more than the recorded \(expectedSize) bytes", path: path)
        }
        digest.update(data: plaintext)
    }
}

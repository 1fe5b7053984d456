/// Encrypts one entry's (compressed) data as it streams: a header before the data, the data in
/// place, a trailer after it. Everything it emits counts towards the compressed size.
protocol EntryEncryptor: AnyObject {
    /// The bytes that precede the data (AES: salt + password verifier; ZipCrypto: the encrypted
    /// 12-byte header).
    var header: [UInt8] { get }
    /// Encrypts the next piece of data in place.
    func encrypt(_ data: UnsafeMutableRawBufferPointer) throws
    /// Ends the entry and returns the bytes that follow the data (AES: the 10-byte
    /// authentication code; ZipCrypto: nothing).
    func finish() -> [UInt8]
}

/// Random bytes from the system CSPRNG (`getrandom(2)` on Linux, via
/// `SystemRandomNumberGenerator`).
enum SecureRandom {
    static func bytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        var bytes = [UInt8]()
        bytes.reserveCapacity(count + 8)
        while bytes.count < count {
            let word = generator.next()
            withUnsafeBytes(of: word) { bytes.append(contentsOf: $0) }
        }
        return Array(bytes.prefix(count))
    }
}

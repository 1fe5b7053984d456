/// An archive collected in memory (tests, small archives).
public final class ZipMemoryOutput: ZipOutput {
    /// The archive so far.
    public private(set) var bytes: [UInt8]

    /// Creates an empty output.
    public init() {
        bytes = []
    }

    /// The number of bytes appended so far.
    public var offset: UInt64 { UInt64(bytes.count) }

    /// Appends `bytes`.
    public func append(_ bytes: UnsafeRawBufferPointer) throws {
        self.bytes.append(contentsOf: bytes)
    }

    /// Replaces bytes already appended.
    ///
    /// - Throws: ``ZipError`` `.outputFailed` when the range reaches past the end.
    public func overwrite(at offset: UInt64, with bytes: [UInt8]) throws {
        guard offset <= UInt64(self.bytes.count), UInt64(bytes.count) <= UInt64(self.bytes.count) - offset else {
            throw ZipError(.outputFailed, "overwrite of \(bytes.count) bytes at \(offset) is past the end (\(self.bytes.count))")
        }
        let start = Int(offset)
        self.bytes.replaceSubrange(start..<(start + bytes.count), with: bytes)
    }
}

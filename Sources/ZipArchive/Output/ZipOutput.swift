/// Where an archive goes: bytes are appended sequentially, and bytes already written can be
/// patched in place (the writer fills in a local header's CRC and sizes after the entry's data).
///
/// ``ZipFileOutput`` writes a file with `pwrite`; ``ZipMemoryOutput`` collects the bytes in memory.
/// A custom output may throw any error; the writer passes it on wrapped in a ``ZipError``
/// (`.outputFailed`).
public protocol ZipOutput: AnyObject {
    /// The number of bytes appended so far: where the next `append` goes.
    var offset: UInt64 { get }
    /// Appends `bytes` at ``offset`` and advances it by `bytes.count`.
    func append(_ bytes: UnsafeRawBufferPointer) throws
    /// Replaces already written bytes at `offset` (`offset + bytes.count` ≤ ``offset``).
    func overwrite(at offset: UInt64, with bytes: [UInt8]) throws
}

extension ZipOutput {
    /// Appends an array.
    func append(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try append($0) }
    }
}

/// Writes a body that is produced rather than parsed (a generated ZIP's base64 text, say) into
/// an unlinked spool file, so building a large part never holds it in memory. ``finish()``
/// gives the ``BodyBytes`` to put in a new entity.
///
/// ```swift
/// let writer = try SpoolWriter(directory: "/var/lib/sekisho")
/// try writer.append(chunk)          // as often as needed
/// let body = try writer.finish()    // spooled; memory stays flat
/// ```
public final class SpoolWriter {
    private let file: SpoolFile
    private var buffer: [UInt8] = []
    private var count = 0
    private var finished = false

    /// Creates the (already unlinked) spool file in `directory`.
    public init(directory: String) throws {
        file = try SpoolFile(directory: directory)
        buffer.reserveCapacity(Self.bufferSize)
    }

    /// Appends bytes.
    public func append(_ bytes: UnsafeRawBufferPointer) throws {
        precondition(!finished, "SpoolWriter.append after finish")
        buffer.append(contentsOf: bytes)
        count += bytes.count
        if buffer.count >= Self.bufferSize { try flush() }
    }

    /// Appends bytes.
    public func append(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try append($0) }
    }

    /// The bytes written, as a spooled body.
    public func finish() throws -> BodyBytes {
        try flush()
        finished = true
        return BodyBytes(storage: .file(file, segments: [.init(offset: 0, length: count)], count: count))
    }

    private func flush() throws {
        guard !buffer.isEmpty else { return }
        try buffer.withUnsafeBytes { try file.write($0) }
        buffer.removeAll(keepingCapacity: true)
    }

    private static let bufferSize = 1 << 16
}

import Foundation

/// Writes a ZIP archive entry by entry, streaming: each entry's data goes through CRC-32,
/// deflate and encryption in fixed-size chunks straight to the ``ZipOutput``, so memory stays
/// flat in the size of the data (only the central directory records, ~100 bytes per entry, are
/// kept until ``finish()``).
///
/// ```swift
/// let output = try ZipFileOutput(path: "out.zip")
/// let writer = try ZipWriter(output: output, password: Array("secret".utf8), options: ZipWriterOptions())
/// try writer.beginEntry(ZipEntryName(utf8: "請求書.pdf"), modified: Date(), sizeHint: nil)
/// try writer.write(bytes)          // as often as needed
/// try writer.endEntry()
/// try writer.finish()
/// try output.close()
/// ```
///
/// Calls must come in that order; anything else throws ``ZipError`` `.invalidState`, as does
/// every call after an output, zlib or libcrypto failure. Every method throws only ``ZipError``.
/// Use one writer from one task at a time (it is deliberately not `Sendable`). See docs/zip.md.
public final class ZipWriter {
    enum State {
        case ready
        case writing(EntryRecord, EntryStream)
        case finished
        case failed(ZipError)
    }

    /// The size of the chunk buffer that compressed data is encrypted and written from.
    static let chunkSize = 256 * 1024

    let output: any ZipOutput
    let password: [UInt8]
    let options: ZipWriterOptions
    var state = State.ready
    var entries = [EntryRecord]()
    let chunk: UnsafeMutableRawBufferPointer
    /// Created for the first deflated entry and reset for each later one.
    var deflater: Deflater?

    /// Creates a writer that appends to `output`, starting at its current offset.
    ///
    /// - Parameters:
    ///   - password: The password's bytes: UTF-8 for AES (WinZip's rule); for ZipCrypto the same
    ///     bytes (readers on Windows type them in their code page, so prefer ASCII). Ignored when
    ///     `options.encryption` is `.none`.
    /// - Throws: ``ZipError`` `.invalidArgument` when the password is empty with encryption, or
    ///   the compression level is outside 0...9.
    public init(output: any ZipOutput, password: [UInt8], options: ZipWriterOptions) throws {
        guard (0...9).contains(options.compressionLevel) else {
            throw ZipError(.invalidArgument, "compression level \(options.compressionLevel) is outside 0...9")
        }
        guard options.encryption == .none || !password.isEmpty else {
            throw ZipError(.invalidArgument, "an empty password with \(options.encryption.rawValue) encryption")
        }
        self.output = output
        self.password = options.encryption == .none ? [] : password
        self.options = options
        self.chunk = .allocate(byteCount: Self.chunkSize, alignment: 16)
    }

    deinit {
        chunk.deallocate()
    }

    /// Starts an entry: writes its local header (CRC and sizes are filled in by ``endEntry()``).
    ///
    /// - Parameters:
    ///   - name: The stored name; see ``ZipEntryName``.
    ///   - modified: The modification time: the DOS fields in `options.timeZone` (clamped to
    ///     1980...2107) and an extended-timestamp field with the exact UTC second.
    ///   - sizeHint: An upper bound of the uncompressed size, if known. A hint comfortably below
    ///     4 GiB gives a plain local header (the entry must then stay below 4 GiB); a larger hint
    ///     gives a ZIP64 field; `nil` reserves 20 bytes of padding (extra field 0xA220) that
    ///     becomes a ZIP64 field only if the entry reaches 4 GiB. A hint of 0 stores the entry
    ///     uncompressed (method 0), as other tools do for empty files.
    /// - Throws: ``ZipError`` `.invalidState` when an entry is open or the archive is finished;
    ///   `.invalidArgument` for an empty name, one with a NUL byte or over 65,535 bytes;
    ///   `.outputFailed`, `.compressionFailed`, `.encryptionFailed` from the layers below.
    public func beginEntry(_ name: ZipEntryName, modified: Date, sizeHint: UInt64?) throws {
        guard case .ready = state else { throw stateError("beginEntry") }
        guard !name.bytes.isEmpty else { throw ZipError(.invalidArgument, "an empty entry name") }
        guard name.bytes.count <= ZipLimit.maxField else {
            throw ZipError(.invalidArgument, "an entry name of \(name.bytes.count) bytes (at most \(ZipLimit.maxField))")
        }
        guard !name.bytes.contains(0) else { throw ZipError(.invalidArgument, "a NUL byte in the entry name \(name.displayName)") }
        let stored = options.compressionLevel == 0 || sizeHint == 0
        let record = EntryRecord(
            name: name,
            encryption: options.encryption,
            compressionMethod: stored ? ZipMethod.stored : ZipMethod.deflated,
            modified: DOSDateTime(modified, timeZone: options.timeZone),
            unixTime: Int32(exactly: modified.timeIntervalSince1970.rounded(.down)),
            localHeaderOffset: output.offset,
            localZip64: Self.localZip64Room(force: options.forceZip64, sizeHint: sizeHint),
            forceZip64: options.forceZip64
        )
        try failingPermanently {
            try append(record.localHeader())
            let stream = try EntryStream(
                output: output,
                buffer: chunk,
                deflater: stored ? nil : try reusableDeflater(),
                encryptor: try makeEncryptor(for: record),
                limit: record.localZip64 == .none ? UInt64(ZipLimit.marker32) : UInt64.max
            )
            state = .writing(record, stream)
        }
    }

    /// Appends uncompressed data to the open entry.
    ///
    /// - Throws: ``ZipError`` `.invalidState` without an open entry; `.limitExceeded` when the
    ///   entry passes 4 GiB with no ZIP64 room (see `sizeHint`); errors of the layers below.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard case .writing(_, let stream) = state else { throw stateError("write") }
        try failingPermanently { try stream.write(bytes) }
    }

    /// Appends uncompressed data to the open entry (the same as the `UnsafeRawBufferPointer` form).
    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Ends the open entry: flushes deflate, writes the authentication code (AES) or the data
    /// descriptor (ZipCrypto), and rewrites the local header with the CRC and sizes.
    ///
    /// - Throws: ``ZipError`` `.invalidState` without an open entry; errors of the layers below.
    public func endEntry() throws {
        guard case .writing(var record, let stream) = state else { throw stateError("endEntry") }
        try failingPermanently {
            try stream.finish()
            record.crc32 = stream.crc.value
            record.uncompressedSize = stream.uncompressedSize
            record.compressedSize = stream.compressedSize
            let large = max(record.uncompressedSize, record.compressedSize) >= UInt64(ZipLimit.marker32)
            if record.localZip64 == .reserved && large {
                record.localZip64 = .zip64
            }
            if record.usesDataDescriptor {
                try append(record.dataDescriptor())
            }
            try overwrite(at: record.localHeaderOffset, with: record.localHeader())
            entries.append(record)
            state = .ready
        }
    }

    /// Writes the central directory, the ZIP64 end records when needed (more than 65,534
    /// entries, a size or an offset ≥ 4 GiB, or `forceZip64`) and the end record. The writer is
    /// done afterwards; closing the output is the caller's job.
    ///
    /// - Throws: ``ZipError`` `.invalidState` with an entry open or when already finished;
    ///   `.outputFailed` from the output.
    public func finish() throws {
        guard case .ready = state else { throw stateError("finish") }
        try failingPermanently {
            let start = output.offset
            var pending = [UInt8]()
            pending.reserveCapacity(64 * 1024 + 1024)
            for entry in entries {
                entry.appendCentralHeader(to: &pending)
                if pending.count >= 64 * 1024 {
                    try append(pending)
                    pending.removeAll(keepingCapacity: true)
                }
            }
            try append(pending)
            let end = EndOfCentralDirectory(
                entryCount: UInt64(entries.count),
                centralDirectorySize: output.offset - start,
                centralDirectoryOffset: start,
                forceZip64: options.forceZip64
            )
            try append(end.encoded())
            state = .finished
        }
    }
}

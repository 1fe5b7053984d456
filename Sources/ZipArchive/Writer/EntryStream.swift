/// The data path of one open entry: CRC-32 over the input, then deflate (or a copy), then
/// encryption in place, then the output — through one fixed buffer, so memory stays flat
/// however large the entry is.
final class EntryStream {
    private let output: any ZipOutput
    private let buffer: UnsafeMutableRawBufferPointer
    private var used = 0
    private let deflater: Deflater?
    private let encryptor: (any EntryEncryptor)?
    /// The bound both sizes must stay below (compressed: header and trailer included): 4 GiB − 1 when
    /// the local header has no room for ZIP64 sizes.
    private let limit: UInt64

    private(set) var crc = CRC32()
    private(set) var uncompressedSize: UInt64 = 0
    /// Bytes appended to the output for this entry's data: encryption header, data, trailer.
    private(set) var compressedSize: UInt64 = 0

    /// Starts the entry's data: writes the encryption header, if any.
    init(
        output: any ZipOutput,
        buffer: UnsafeMutableRawBufferPointer,
        deflater: Deflater?,
        encryptor: (any EntryEncryptor)?,
        limit: UInt64
    ) throws {
        self.output = output
        self.buffer = buffer
        self.deflater = deflater
        self.encryptor = encryptor
        self.limit = limit
        if let header = encryptor?.header {
            try emit(header)
        }
    }

    /// Feeds uncompressed bytes.
    func write(_ input: UnsafeRawBufferPointer) throws {
        guard !input.isEmpty else { return }
        let (total, overflow) = uncompressedSize.addingReportingOverflow(UInt64(input.count))
        guard !overflow, total < limit else {
            throw ZipError(.limitExceeded, "the entry's size passed \(limit) bytes and its local header has no ZIP64 room (sizeHint too small)")
        }
        crc.update(input)
        uncompressedSize = total
        if let deflater {
            try deflater.deflate(input, finish: false, into: buffer, used: &used) { try emitChunk($0) }
        } else {
            var remaining = input
            while !remaining.isEmpty {
                let count = min(remaining.count, buffer.count - used)
                UnsafeMutableRawBufferPointer(rebasing: buffer[used..<(used + count)])
                    .copyMemory(from: UnsafeRawBufferPointer(rebasing: remaining[..<count]))
                used += count
                remaining = UnsafeRawBufferPointer(rebasing: remaining[count...])
                if used == buffer.count {
                    try emitChunk(used)
                    used = 0
                }
            }
        }
    }

    /// Ends the data: flushes deflate, encrypts and writes what is left, writes the trailer.
    func finish() throws {
        if let deflater {
            try deflater.deflate(UnsafeRawBufferPointer(start: nil, count: 0), finish: true, into: buffer, used: &used) {
                try emitChunk($0)
            }
        }
        if used > 0 {
            try emitChunk(used)
            used = 0
        }
        if let trailer = encryptor?.finish() {
            try emit(trailer)
        }
    }

    /// Encrypts and writes the first `count` bytes of the buffer (the caller then resets `used`:
    /// the deflater holds it `inout` while calling this).
    private func emitChunk(_ count: Int) throws {
        let filled = UnsafeMutableRawBufferPointer(rebasing: buffer[..<count])
        try encryptor?.encrypt(filled)
        try emit(UnsafeRawBufferPointer(filled))
    }

    private func emit(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try emit($0) }
    }

    private func emit(_ bytes: UnsafeRawBufferPointer) throws {
        let (total, overflow) = compressedSize.addingReportingOverflow(UInt64(bytes.count))
        guard !overflow, total < limit else {
            throw ZipError(.limitExceeded, "the entry's compressed size passed \(limit) bytes and its local header has no ZIP64 room (sizeHint too small)")
        }
        do {
            try output.append(bytes)
        } catch let error as ZipError {
            throw error
        } catch {
            throw ZipError(.outputFailed, "append: \(error)")
        }
        compressedSize = total
    }
}

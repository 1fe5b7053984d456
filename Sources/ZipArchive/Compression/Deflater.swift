import CZlib

/// Raw deflate (RFC 1951, no zlib or gzip wrapper: windowBits −15) through the system zlib,
/// writing into caller-provided memory. One instance serves consecutive entries (``reset()``).
final class Deflater {
    private let stream: UnsafeMutablePointer<z_stream>

    /// Initialises zlib at `level` (1...9), memLevel 8, the default strategy.
    ///
    /// - Throws: ``ZipError`` `.compressionFailed` when `deflateInit2_` fails.
    init(level: Int32) throws {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let status = deflateInit2_(stream, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            stream.deinitialize(count: 1)
            stream.deallocate()
            throw ZipError(.compressionFailed, "deflateInit2 failed: \(Self.describe(status))")
        }
    }

    deinit {
        deflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// Starts a new, independent stream with the same settings.
    func reset() throws {
        let status = deflateReset(stream)
        guard status == Z_OK else { throw ZipError(.compressionFailed, "deflateReset failed: \(Self.describe(status))") }
    }

    /// Feeds `input` and writes compressed bytes to `output`, calling `drain(used)` whenever
    /// `output` is full (the closure consumes the filled bytes; writing restarts at the start).
    /// With `finish`, flushes the stream end too. `used` is how much of `output` is filled,
    /// before and after.
    func deflate(
        _ input: UnsafeRawBufferPointer,
        finish: Bool,
        into output: UnsafeMutableRawBufferPointer,
        used: inout Int,
        drain: (Int) throws -> Void
    ) throws {
        guard let outputBase = output.baseAddress else { return }
        var remaining = input
        defer {
            stream.pointee.next_in = nil
            stream.pointee.avail_in = 0
        }
        while true {
            // avail_in is 32 bits: feed at most 1 GiB per round.
            let piece = min(remaining.count, 1 << 30)
            stream.pointee.next_in = remaining.baseAddress.map {
                UnsafeMutablePointer(mutating: $0.assumingMemoryBound(to: Bytef.self))
            }
            stream.pointee.avail_in = uInt(piece)
            let isLastPiece = piece == remaining.count
            let flush = finish && isLastPiece ? Z_FINISH : Z_NO_FLUSH
            pump: while true {
                if used == output.count {
                    try drain(used)
                    used = 0
                }
                stream.pointee.next_out = (outputBase + used).assumingMemoryBound(to: Bytef.self)
                stream.pointee.avail_out = uInt(output.count - used)
                let status = CZlib.deflate(stream, flush)
                used = output.count - Int(stream.pointee.avail_out)
                switch status {
                case Z_STREAM_END:
                    return
                case Z_OK, Z_BUF_ERROR:
                    // Without Z_FINISH, zlib is done with the piece once it leaves output room
                    // (it consumed all input). Z_FINISH goes on until Z_STREAM_END.
                    if flush != Z_FINISH && stream.pointee.avail_in == 0 && stream.pointee.avail_out > 0 {
                        break pump
                    }
                default:
                    throw ZipError(.compressionFailed, "deflate failed: \(Self.describe(status))")
                }
            }
            let consumed = piece - Int(stream.pointee.avail_in)
            remaining = UnsafeRawBufferPointer(rebasing: remaining[consumed...])
            if remaining.isEmpty && !finish { return }
        }
    }

    private static func describe(_ status: Int32) -> String {
        switch status {
        case Z_STREAM_ERROR: "Z_STREAM_ERROR"
        case Z_MEM_ERROR: "Z_MEM_ERROR"
        case Z_BUF_ERROR: "Z_BUF_ERROR"
        case Z_VERSION_ERROR: "Z_VERSION_ERROR"
        case Z_DATA_ERROR: "Z_DATA_ERROR"
        default: "status \(status)"
        }
    }
}

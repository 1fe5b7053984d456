import CZlib

/// Reads a stored file back: gzip (by its magic bytes) is inflated, anything else returned as it is.
enum GzipReader {
    static func isGzip(_ bytes: [UInt8]) -> Bool { bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B }

    static func inflate(_ bytes: [UInt8]) throws(ArchiveError) -> [UInt8] {
        var stream = z_stream()
        // windowBits 15 + 32: zlib or gzip header, detected.
        guard inflateInit2_(&stream, 47, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else { throw .corrupt("zlib cannot start") }
        defer { inflateEnd(&stream) }
        var output = [UInt8]()
        output.reserveCapacity(bytes.count * 4)
        var chunk = [UInt8](repeating: 0, count: 256 * 1024)
        var status: Int32 = Z_OK
        bytes.withUnsafeBufferPointer { input in
            stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
            stream.avail_in = uInt(input.count)
            repeat {
                chunk.withUnsafeMutableBufferPointer { out in
                    stream.next_out = out.baseAddress
                    stream.avail_out = uInt(out.count)
                    status = CZlib.inflate(&stream, Z_NO_FLUSH)
                    output.append(contentsOf: out[0..<(out.count - Int(stream.avail_out))])
                }
            } while status == Z_OK && (stream.avail_in > 0 || stream.avail_out == 0)
        }
        guard status == Z_STREAM_END else { throw .corrupt("the gzip file is damaged (zlib \(status))") }
        return output
    }
}

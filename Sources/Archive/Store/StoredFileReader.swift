import CZlib
import Crypto
import Foundation

/// Reads a stored copy in chunks — gzip (recognised by its magic bytes) inflated on the way —
/// so large messages are indexed and exported without being held in memory. Returns the size
/// and SHA-256 of what it delivered.
enum StoredFileReader {
    static let chunkSize = 256 * 1024

    static func read(_ url: URL, _ body: (UnsafeRawBufferPointer) throws -> Void) throws -> (size: Int, sha256: String) {
        guard let handle = FileHandle(forReadingAtPath: url.path) else { throw ArchiveError.notFound(url.path) }
        defer { try? handle.close() }
        var hasher = SHA256()
        var size = 0
        func deliver(_ bytes: UnsafeRawBufferPointer) throws {
            guard !bytes.isEmpty else { return }
            hasher.update(bufferPointer: bytes)
            size += bytes.count
            try body(bytes)
        }
        guard let first = try handle.read(upToCount: chunkSize), !first.isEmpty else {
            return (0, Digest.sha256Hex([]))
        }
        if first.count >= 2 && first[first.startIndex] == 0x1F && first[first.startIndex + 1] == 0x8B {
            try inflate(first: first, handle: handle, deliver)
        } else {
            try first.withUnsafeBytes { try deliver($0) }
            while let chunk = try handle.read(upToCount: chunkSize), !chunk.isEmpty {
                try chunk.withUnsafeBytes { try deliver($0) }
            }
        }
        return (size, hasher.finalize().map { String(format: "%02x", $0) }.joined())
    }

    private static func inflate(first: Data, handle: FileHandle, _ deliver: (UnsafeRawBufferPointer) throws -> Void) throws {
        var stream = z_stream()
        // windowBits 15 + 32: zlib or gzip header, detected.
        guard inflateInit2_(&stream, 47, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else { throw ArchiveError.corrupt("zlib cannot start") }
        defer { inflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: chunkSize)
        var input: Data? = first
        var finished = false
        while let chunk = input, !finished {
            try chunk.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
                stream.next_in = UnsafeMutablePointer(mutating: raw.bindMemory(to: Bytef.self).baseAddress)
                stream.avail_in = uInt(raw.count)
                repeat {
                    let (produced, status) = output.withUnsafeMutableBytes { out -> (Int, Int32) in
                        stream.next_out = out.bindMemory(to: Bytef.self).baseAddress
                        stream.avail_out = uInt(out.count)
                        let status = CZlib.inflate(&stream, Z_NO_FLUSH)
                        return (out.count - Int(stream.avail_out), status)
                    }
                    if produced > 0 { try output.withUnsafeBytes { try deliver(UnsafeRawBufferPointer(rebasing: $0[0..<produced])) } }
                    if status == Z_STREAM_END {
                        finished = true
                        return
                    }
                    guard status == Z_OK || status == Z_BUF_ERROR else { throw ArchiveError.corrupt("the gzip file is damaged (zlib \(status))") }
                    if status == Z_BUF_ERROR && stream.avail_in == 0 { break }
                } while stream.avail_in > 0 || stream.avail_out == 0
            }
            input = finished ? nil : try handle.read(upToCount: chunkSize).flatMap { $0.isEmpty ? nil : $0 }
        }
        guard finished else { throw ArchiveError.corrupt("the gzip file ends early") }
    }
}

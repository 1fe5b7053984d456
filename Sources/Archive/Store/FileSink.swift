import CZlib
import Crypto
import Foundation

/// A new file (`O_EXCL`, mode 0640) written in chunks, optionally as gzip, with the SHA-256 and
/// size of what was given (before compression). ``finish()`` flushes and `fsync`s.
final class FileSink {
    private let descriptor: Int32
    private let path: String
    private var hasher = SHA256()
    private var size = 0
    private var gzip: UnsafeMutablePointer<z_stream>?
    private var buffer = [UInt8](repeating: 0, count: 64 * 1024)

    init(path: String, compress: Bool) throws(ArchiveError) {
        descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o640)
        guard descriptor >= 0 else { throw ArchiveError.storage("cannot create \(path): \(String(cString: strerror(errno)))") }
        self.path = path
        if compress {
            let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
            stream.initialize(to: z_stream())
            // windowBits 15 + 16: a gzip wrapper, what Dovecot's zlib plugin and gunzip read.
            guard deflateInit2_(stream, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
                stream.deallocate()
                close(descriptor)
                throw ArchiveError.storage("zlib cannot start")
            }
            gzip = stream
        }
    }

    deinit {
        if let gzip {
            deflateEnd(gzip)
            gzip.deallocate()
        }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard !bytes.isEmpty else { return }
        hasher.update(bufferPointer: bytes)
        size += bytes.count
        if gzip != nil {
            try deflate(bytes, finish: false)
        } else {
            try writeAll(bytes)
        }
    }

    /// Completes the file; returns the uncompressed size and SHA-256 (hex).
    func finish() throws -> (size: Int, sha256: String) {
        if gzip != nil { try deflate(UnsafeRawBufferPointer(start: nil, count: 0), finish: true) }
        guard fsync(descriptor) == 0 else { throw ArchiveError.storage("fsync \(path): \(String(cString: strerror(errno)))") }
        close(descriptor)
        return (size, hasher.finalize().map { String(format: "%02x", $0) }.joined())
    }

    /// Closes without completing (the caller removes the file).
    func abandon() {
        close(descriptor)
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let result = Foundation.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if result < 0 {
                if errno == EINTR { continue }
                throw ArchiveError.storage("write \(path): \(String(cString: strerror(errno)))")
            }
            offset += result
        }
    }

    private func deflate(_ input: UnsafeRawBufferPointer, finish: Bool) throws {
        guard let stream = gzip else { return }
        stream.pointee.next_in = input.baseAddress.map { UnsafeMutablePointer(mutating: $0.assumingMemoryBound(to: Bytef.self)) }
        stream.pointee.avail_in = uInt(input.count)
        while true {
            let produced: Int
            let status: Int32
            (produced, status) = buffer.withUnsafeMutableBytes { output in
                stream.pointee.next_out = output.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.pointee.avail_out = uInt(output.count)
                let status = CZlib.deflate(stream, finish ? Z_FINISH : Z_NO_FLUSH)
                return (output.count - Int(stream.pointee.avail_out), status)
            }
            if produced > 0 {
                let chunk = Array(buffer[0..<produced])
                try chunk.withUnsafeBytes { try writeAll($0) }
            }
            if status == Z_STREAM_END { return }
            guard status == Z_OK || status == Z_BUF_ERROR else { throw ArchiveError.storage("gzip failed (\(status))") }
            if !finish && stream.pointee.avail_in == 0 && stream.pointee.avail_out > 0 { return }
        }
    }
}

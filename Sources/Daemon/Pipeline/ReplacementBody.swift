import Foundation
import MailMessage
import Milter
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// The body of a rewritten message for `SMFIR_REPLBODY`: serialised once, kept in memory while
/// small and in an unlinked temporary file beyond `memoryLimit`, then read in packet-sized chunks
/// while the session sends the reply — so replacing a 100 MB body costs a 64 KiB buffer.
final class ReplacementBody: ReplacementBodySource {
    private var memory: [UInt8] = []
    private var descriptor: Int32 = -1
    private var size = 0
    private var readOffset = 0
    private var memoryReadOffset = 0

    /// Serialises `message`'s body (everything after its header) into memory or `directory`.
    init(_ message: MailMessage, directory: String, memoryLimit: Int) throws {
        var skip = message.header.raw.count + message.root.headerTerminator.count
        var pending = [UInt8]()
        try message.write { chunk in
            var piece = UnsafeRawBufferPointer(chunk)
            if skip > 0 {
                let dropped = min(skip, piece.count)
                skip -= dropped
                piece = UnsafeRawBufferPointer(rebasing: piece[dropped...])
            }
            guard !piece.isEmpty else { return }
            if self.descriptor < 0 {
                self.memory.append(contentsOf: piece)
                if self.memory.count > memoryLimit {
                    try self.openFile(in: directory)
                    pending = self.memory
                    self.memory = []
                }
            } else {
                pending.append(contentsOf: piece)
            }
            if pending.count >= 1 << 16 {
                try self.writeToFile(pending)
                pending.removeAll(keepingCapacity: true)
            }
        }
        if !pending.isEmpty { try writeToFile(pending) }
        size = descriptor >= 0 ? size : memory.count
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
    }

    /// The body when it stayed in memory (to see whether it changed at all).
    var bytesInMemory: [UInt8]? { descriptor < 0 ? memory : nil }

    /// Whether there is nothing to send (Postfix refuses an empty replacement).
    var isEmpty: Bool { size == 0 }

    func nextChunk(maximumLength: Int) throws -> ByteBuffer? {
        if descriptor < 0 {
            guard memoryReadOffset < memory.count else { return nil }
            let end = min(memory.count, memoryReadOffset + maximumLength)
            defer { memoryReadOffset = end }
            return ByteBuffer(bytes: memory[memoryReadOffset..<end])
        }
        guard readOffset < size else { return nil }
        var buffer = ByteBuffer()
        let want = min(maximumLength, size - readOffset)
        let got = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: want) { target in
            while true {
                let result = pread(descriptor, target.baseAddress!, want, off_t(readOffset))
                if result >= 0 { return result }
                if errno != EINTR { throw SpoolError.shortRead(offset: readOffset) }
            }
        }
        guard got > 0 else { throw SpoolError.shortRead(offset: readOffset) }
        readOffset += got
        return buffer
    }

    private func openFile(in directory: String) throws {
        var template = Array("\(directory)/sekisho-body.XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw SpoolError.cannotCreate(directory: directory, errno: errno) }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        descriptor = fd
    }

    private func writeToFile(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw SpoolError.writeFailed(errno: errno)
                }
                offset += written
            }
        }
        size += bytes.count
    }
}

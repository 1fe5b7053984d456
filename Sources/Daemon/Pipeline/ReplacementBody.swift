import MailMessage
import Milter
import NIOCore

/// The body of a rewritten message for `SMFIR_REPLBODY`: serialised once, kept in memory while
/// small and in a spool file (``SpoolWriter``) beyond `memoryLimit`, then read in packet-sized
/// chunks while the session sends the reply — so replacing a 100 MB body costs a 64 KiB buffer.
final class ReplacementBody: ReplacementBodySource {
    private let body: BodyBytes
    private var readOffset = 0

    /// Serialises `message`'s body (everything after its header) into memory or `directory`.
    init(_ message: MailMessage, directory: String, memoryLimit: Int) throws {
        var skip = message.header.raw.count + message.root.headerTerminator.count
        var memory = [UInt8]()
        var spool: SpoolWriter?
        try message.write { chunk in
            var piece = UnsafeRawBufferPointer(chunk)
            if skip > 0 {
                let dropped = min(skip, piece.count)
                skip -= dropped
                piece = UnsafeRawBufferPointer(rebasing: piece[dropped...])
            }
            guard !piece.isEmpty else { return }
            if let spool {
                try spool.append(piece)
                return
            }
            memory.append(contentsOf: piece)
            if memory.count > memoryLimit {
                let writer = try SpoolWriter(directory: directory)
                try writer.append(memory)
                memory = []
                spool = writer
            }
        }
        body = try spool?.finish() ?? BodyBytes(memory)
    }

    /// The body when it stayed in memory (to see whether it changed at all).
    var bytesInMemory: [UInt8]? { body.isSpooled ? nil : try? body.bytes() }

    /// Whether there is nothing to send (Postfix refuses an empty replacement).
    var isEmpty: Bool { body.count == 0 }

    func nextChunk(maximumLength: Int) throws -> ByteBuffer? {
        guard readOffset < body.count else { return nil }
        var buffer = ByteBuffer()
        let got = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: maximumLength) { target in
            try body.read(into: UnsafeMutableRawBufferPointer(rebasing: target[0..<min(maximumLength, target.count)]), at: readOffset)
        }
        readOffset += got
        return buffer
    }
}

import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Turns a message, fed in chunks of any size, into the DATA stream (RFC 5321 §4.5.2): line ends
/// become CRLF (a bare LF or a bare CR each becomes CRLF), a line starting with `.` gets a second
/// `.`, and ``finish(into:)`` ends the last line and adds the terminating `.` line.
///
/// The state (at the start of a line? was the last byte a CR?) carries across chunks, so a `.` at
/// the start of a chunk, or a CRLF split between two chunks, is handled as if the message were
/// one piece. Copying runs in bulk between line ends (`memchr`), so a 20 MB message costs about
/// one copy.
public struct SMTPDataEncoder: Sendable {
    private var atLineStart = true
    private var afterCR = false

    /// A new encoder, at the start of the message.
    public init() {}

    /// Encodes the readable bytes of `chunk` into `output`.
    public mutating func encode(_ chunk: ByteBuffer, into output: inout ByteBuffer) {
        chunk.withUnsafeReadableBytes { encode($0, into: &output) }
    }

    /// Encodes `bytes` into `output`.
    public mutating func encode(_ bytes: some Collection<UInt8>, into output: inout ByteBuffer) {
        if let done: Void = bytes.withContiguousStorageIfAvailable({ encode(UnsafeRawBufferPointer($0), into: &output) }) {
            return done
        }
        Array(bytes).withUnsafeBytes { encode($0, into: &output) }
    }

    /// Encodes raw bytes into `output`.
    public mutating func encode(_ bytes: UnsafeRawBufferPointer, into output: inout ByteBuffer) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        let count = bytes.count
        output.reserveCapacity(minimumWritableBytes: count + count / 32 + 4)
        var index = 0
        while index < count {
            let byte = bytes[index]
            if afterCR {
                afterCR = false
                if byte == UInt8(ascii: "\n") {
                    index += 1
                    continue
                }
            }
            if byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\n") {
                output.writeStaticString("\r\n")
                afterCR = byte == UInt8(ascii: "\r")
                atLineStart = true
                index += 1
                continue
            }
            if atLineStart, byte == UInt8(ascii: ".") {
                output.writeInteger(UInt8(ascii: "."))
            }
            atLineStart = false
            // Copy the rest of the line in one piece: up to the next CR or LF.
            let end = Self.nextLineBreak(in: base, from: index, count: count)
            output.writeBytes(UnsafeRawBufferPointer(start: base + index, count: end - index))
            index = end
        }
    }

    /// Ends the stream: CRLF when the message did not end with a line break, then `.` CRLF.
    public mutating func finish(into output: inout ByteBuffer) {
        if !atLineStart { output.writeStaticString("\r\n") }
        output.writeStaticString(".\r\n")
        atLineStart = true
        afterCR = false
    }

    /// The index of the next CR or LF at or after `start`, or `count`.
    private static func nextLineBreak(in base: UnsafeRawPointer, from start: Int, count: Int) -> Int {
        let remaining = count - start
        let lf = memchr(base + start, Int32(UInt8(ascii: "\n")), remaining).map { $0 - UnsafeMutableRawPointer(mutating: base) } ?? count
        let crSearch = lf - start
        guard crSearch > 0 else { return lf }
        let cr = memchr(base + start, Int32(UInt8(ascii: "\r")), crSearch).map { $0 - UnsafeMutableRawPointer(mutating: base) } ?? lf
        return min(lf, cr)
    }
}

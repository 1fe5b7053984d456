import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One message to send: the envelope, where the bytes come from, and what the client must
/// declare about them (``MessageProperties``).
///
/// A message in a file is read in chunks while it is sent, so memory does not grow with its size.
/// The bytes are the RFC 5322 message as stored (LF or CRLF line ends, not dot-stuffed).
public struct OutboundMessage: Sendable {
    /// Where the message bytes come from.
    public enum Body: Sendable {
        /// Bytes in memory.
        case bytes(ByteBuffer)
        /// A file, read in chunks while sending.
        case file(path: String)
    }

    /// The envelope sender (`<>` for reports).
    public var sender: SMTPAddress
    /// The envelope recipients.
    public var recipients: [SMTPAddress]
    /// The message.
    public var body: Body
    /// Size and 8-bit content.
    public var properties: MessageProperties

    /// A message held in memory; its properties are computed here.
    public init(sender: SMTPAddress, recipients: [SMTPAddress], bytes: some Collection<UInt8>) {
        var scanner = MessageScanner()
        scanner.scan(bytes)
        self.init(sender: sender, recipients: recipients, body: .bytes(ByteBuffer(bytes: bytes)), properties: scanner.properties)
    }

    /// A message whose properties are already known (the queue learns them when it spools).
    public init(sender: SMTPAddress, recipients: [SMTPAddress], body: Body, properties: MessageProperties) {
        self.sender = sender
        self.recipients = recipients
        self.body = body
        self.properties = properties
    }

    /// A message in a file; reads it once (off the cooperative pool) to learn its properties.
    /// - Throws: ``MessageFileError`` when the file cannot be read.
    public static func file(sender: SMTPAddress, recipients: [SMTPAddress], path: String, chunkSize: Int = 64 * 1024) async throws -> OutboundMessage {
        let reader = try await MessageFileReader.open(path)
        var scanner = MessageScanner()
        do {
            while let chunk = try await reader.next(maximum: chunkSize) {
                chunk.withUnsafeReadableBytes { scanner.scan($0) }
            }
        } catch {
            await reader.close()
            throw error
        }
        await reader.close()
        return OutboundMessage(sender: sender, recipients: recipients, body: .file(path: path), properties: scanner.properties)
    }
}

/// Reads a file in chunks on NIO's blocking-I/O thread pool, so the cooperative pool never waits on
/// the disk.
final class MessageFileReader: Sendable {
    private let descriptor: CInt
    private let path: String

    private init(descriptor: CInt, path: String) {
        self.descriptor = descriptor
        self.path = path
    }

    /// Opens `path` for reading.
    /// - Throws: ``MessageFileError``.
    static func open(_ path: String) async throws -> MessageFileReader {
        let descriptor = try await NIOThreadPool.singleton.runIfActive { () throws -> CInt in
            let descriptor = SystemCalls.open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { throw MessageFileError(path: path, operation: "open", errno: errno) }
            return descriptor
        }
        return MessageFileReader(descriptor: descriptor, path: path)
    }

    /// The next chunk of at most `maximum` bytes, or `nil` at the end of the file.
    func next(maximum: Int) async throws -> ByteBuffer? {
        let descriptor = self.descriptor
        let path = self.path
        return try await NIOThreadPool.singleton.runIfActive { () throws -> ByteBuffer? in
            var buffer = ByteBufferAllocator().buffer(capacity: maximum)
            let count = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: maximum) { pointer in
                while true {
                    let result = SystemCalls.read(descriptor, pointer.baseAddress, maximum)
                    if result >= 0 { return result }
                    if errno != EINTR { throw MessageFileError(path: path, operation: "read", errno: errno) }
                }
            }
            return count == 0 ? nil : buffer
        }
    }

    /// Closes the file.
    func close() async {
        let descriptor = self.descriptor
        _ = try? await NIOThreadPool.singleton.runIfActive { SystemCalls.close(descriptor) }
    }
}

/// A message or spool file could not be opened, read, written or synced.
public struct MessageFileError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file.
    public var path: String
    /// `open`, `read`, `write`, `fsync`, `rename`.
    public var operation: String
    /// The `errno` value.
    public var errno: CInt

    public var description: String { "\(operation) \(path): \(String(cString: strerror(errno)))" }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An archive written to a file with `pwrite(2)`, from offset 0 of the file.
///
/// The descriptor must be seekable (a regular file; not a pipe or socket): local headers are
/// patched after each entry. An output made with ``init(fileDescriptor:)`` never closes the
/// descriptor; one made with ``init(path:)`` owns it and closes it in ``close()`` (or, if never
/// closed, when released).
public final class ZipFileOutput: ZipOutput {
    private var descriptor: Int32
    private let ownsDescriptor: Bool
    /// The number of bytes appended so far.
    public private(set) var offset: UInt64 = 0

    /// Writes to an open, writable, seekable descriptor, starting at offset 0. The caller keeps
    /// ownership: ``close()`` only detaches.
    public init(fileDescriptor: Int32) {
        self.descriptor = fileDescriptor
        self.ownsDescriptor = false
    }

    private init(ownedDescriptor: Int32) {
        self.descriptor = ownedDescriptor
        self.ownsDescriptor = true
    }

    /// Creates or truncates the file at `path` (mode 0600, `O_CLOEXEC`) and writes to it.
    ///
    /// - Throws: ``ZipError`` `.outputFailed` with `errno`'s text when `open` fails.
    public convenience init(path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw ZipError(.outputFailed, "open \(path): \(Self.errnoText())")
        }
        self.init(ownedDescriptor: descriptor)
    }

    deinit {
        if ownsDescriptor && descriptor >= 0 {
            _ = closeDescriptor(descriptor)
        }
    }

    /// Closes the descriptor if this output opened it; detaches otherwise. Later writes throw.
    ///
    /// - Throws: ``ZipError`` `.outputFailed` when `close(2)` fails (data may not have reached
    ///   the disk) or the output was already closed.
    public func close() throws {
        guard descriptor >= 0 else { throw ZipError(.outputFailed, "the output is already closed") }
        let closing = descriptor
        descriptor = -1
        if ownsDescriptor && closeDescriptor(closing) != 0 {
            throw ZipError(.outputFailed, "close: \(Self.errnoText())")
        }
    }

    /// Appends `bytes` at ``offset``.
    ///
    /// - Throws: ``ZipError`` `.outputFailed` when `pwrite` fails or the output is closed.
    public func append(_ bytes: UnsafeRawBufferPointer) throws {
        try write(bytes, at: offset)
        offset += UInt64(bytes.count)
    }

    /// Replaces bytes already appended.
    ///
    /// - Throws: ``ZipError`` `.outputFailed` when the range reaches past ``offset`` or `pwrite` fails.
    public func overwrite(at offset: UInt64, with bytes: [UInt8]) throws {
        guard offset <= self.offset, UInt64(bytes.count) <= self.offset - offset else {
            throw ZipError(.outputFailed, "overwrite of \(bytes.count) bytes at \(offset) is past the end (\(self.offset))")
        }
        try bytes.withUnsafeBytes { try write($0, at: offset) }
    }

    private func write(_ bytes: UnsafeRawBufferPointer, at position: UInt64) throws {
        guard descriptor >= 0 else { throw ZipError(.outputFailed, "the output is closed") }
        guard var base = bytes.baseAddress else { return }
        var left = bytes.count
        var position = position
        while left > 0 {
            guard position <= UInt64(Int64.max) else {
                throw ZipError(.limitExceeded, "file offset \(position) is beyond off_t")
            }
            let written = pwrite(descriptor, base, left, off_t(position))
            if written < 0 {
                if errno == EINTR { continue }
                throw ZipError(.outputFailed, "pwrite at \(position): \(Self.errnoText())")
            }
            if written == 0 { throw ZipError(.outputFailed, "pwrite at \(position) wrote nothing") }
            base += written
            left -= written
            position += UInt64(written)
        }
    }

    private static func errnoText() -> String {
        String(cString: strerror(errno))
    }
}

/// `close(2)`, reachable from inside the class (whose own `close()` shadows it).
private func closeDescriptor(_ descriptor: Int32) -> Int32 {
    close(descriptor)
}

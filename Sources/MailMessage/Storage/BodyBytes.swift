#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The raw (still transfer-encoded) bytes of a body: in memory, or — above the spool threshold —
/// as segments of the message's spool file, a temporary file unlinked on creation, so nothing is
/// left behind even after a crash.
public struct BodyBytes: Sendable {
    /// A stretch of the spool file.
    struct Segment: Sendable {
        var offset: Int
        var length: Int
    }

    enum Storage: Sendable {
        case memory([UInt8])
        case file(SpoolFile, segments: [Segment], count: Int)
    }

    let storage: Storage

    init(storage: Storage) {
        self.storage = storage
    }

    /// Bytes held in memory.
    public init(_ bytes: [UInt8]) {
        storage = .memory(bytes)
    }

    /// No bytes.
    public static let empty = BodyBytes([])

    /// The number of bytes.
    public var count: Int {
        switch storage {
        case .memory(let bytes): bytes.count
        case .file(_, _, let count): count
        }
    }

    /// Whether the bytes live in a spool file rather than memory.
    public var isSpooled: Bool {
        if case .file = storage { return true }
        return false
    }

    /// Calls `body` with consecutive chunks of the first `limit` bytes (all when `nil`).
    public func forEachChunk(limit: Int? = nil, chunkSize: Int = 1 << 16, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let total = min(max(0, limit ?? count), count)
        switch storage {
        case .memory(let bytes):
            try bytes.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[0..<total])) }
        case .file(let file, let segments, _):
            var buffer = [UInt8](repeating: 0, count: chunkSize)
            var remaining = total
            for segment in segments where remaining > 0 {
                var offset = segment.offset
                var left = min(segment.length, remaining)
                while left > 0 {
                    let want = min(chunkSize, left)
                    let got = try buffer.withUnsafeMutableBytes { try file.read(into: $0.baseAddress!, count: want, at: offset) }
                    guard got > 0 else { throw SpoolError.shortRead(offset: offset) }
                    try buffer.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[0..<got])) }
                    offset += got
                    left -= got
                    remaining -= got
                }
            }
        }
    }

    /// Copies up to `buffer.count` bytes starting at `offset` into `buffer` (pull-style reading,
    /// for a consumer that asks for chunks); returns how many, 0 at the end.
    public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws -> Int {
        guard offset >= 0, offset < count, buffer.count > 0 else { return 0 }
        switch storage {
        case .memory(let bytes):
            let length = min(buffer.count, bytes.count - offset)
            bytes.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + length)])) }
            return length
        case .file(let file, let segments, _):
            var start = 0
            for segment in segments {
                if offset < start + segment.length {
                    let within = offset - start
                    let want = min(buffer.count, segment.length - within)
                    let got = try file.read(into: buffer.baseAddress!, count: want, at: segment.offset + within)
                    guard got > 0 else { throw SpoolError.shortRead(offset: segment.offset + within) }
                    return got
                }
                start += segment.length
            }
            return 0
        }
    }

    /// All bytes in memory (for small bodies, tests and rewriting).
    public func bytes(limit: Int? = nil) throws -> [UInt8] {
        if case .memory(let bytes) = storage {
            return limit.map { Array(bytes.prefix(max(0, $0))) } ?? bytes
        }
        var result = [UInt8]()
        result.reserveCapacity(min(limit ?? count, count))
        try forEachChunk(limit: limit) { result.append(contentsOf: $0) }
        return result
    }
}

/// A failure writing or reading the spool: the caller cannot do its job with this message and
/// answers the MTA with its failure action (tempfail by default).
public enum SpoolError: Error, Hashable, Sendable, CustomStringConvertible {
    case cannotCreate(directory: String, errno: Int32)
    case writeFailed(errno: Int32)
    case shortRead(offset: Int)

    public var description: String {
        switch self {
        case .cannotCreate(let directory, let code): "cannot create a spool file in \(directory): \(String(cString: strerror(code)))"
        case .writeFailed(let code): "spool write failed: \(String(cString: strerror(code)))"
        case .shortRead(let offset): "spool file ended early at offset \(offset)"
        }
    }
}

/// An open, already-unlinked temporary file (close-on-exec, so child processes never inherit
/// it). Written only while the parser runs, then only read with `pread`, so sharing it between
/// threads is safe.
final class SpoolFile: @unchecked Sendable {
    private let descriptor: Int32

    /// Creates an anonymous file in `directory`.
    init(directory: String) throws {
        var template = Array("\(directory)/sekisho-spool.XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw SpoolError.cannotCreate(directory: directory, errno: errno) }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        descriptor = fd
    }

    deinit {
        close(descriptor)
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw SpoolError.writeFailed(errno: errno)
            }
            offset += written
        }
    }

    func read(into buffer: UnsafeMutableRawPointer, count: Int, at offset: Int) throws -> Int {
        while true {
            let got = pread(descriptor, buffer, count, off_t(offset))
            if got >= 0 { return got }
            if errno != EINTR { throw SpoolError.shortRead(offset: offset) }
        }
    }
}

/// One spool file per message, shared by every body that spills: append-only, written through
/// a 64 KiB buffer. A body's bytes are the segments it appended, so bodies need not be written
/// one after the other. One descriptor per message however many parts it has.
final class MessageSpool {
    private let directory: String
    private var file: SpoolFile?
    private var buffer: [UInt8] = []
    /// The logical end: bytes in the file plus bytes in the buffer.
    private(set) var end = 0
    private var lastWriter: ObjectIdentifier?

    init(directory: String) {
        self.directory = directory
    }

    /// Appends `bytes` for `writer`; returns the offset where they start and whether they
    /// continue the writer's previous segment.
    func append(_ bytes: UnsafeRawBufferPointer, writer: ObjectIdentifier) throws -> (offset: Int, continues: Bool) {
        if file == nil { file = try SpoolFile(directory: directory) }
        let continues = lastWriter == writer
        lastWriter = writer
        let offset = end
        buffer.append(contentsOf: bytes)
        end += bytes.count
        if buffer.count >= 1 << 16 { try flush() }
        return (offset, continues)
    }

    /// Writes the buffer out; the file is then complete for reading.
    func flush() throws {
        guard let file, !buffer.isEmpty else { return }
        try buffer.withUnsafeBytes { try file.write($0) }
        buffer.removeAll(keepingCapacity: true)
    }

    /// The file (after ``flush()``).
    var spoolFile: SpoolFile? { file }
}

/// Collects a body while parsing: in memory until it passes the part threshold or the message's
/// memory budget is spent, then in the message's spool file.
final class BodyAccumulator {
    private var memory: [UInt8] = []
    private var segments: [BodyBytes.Segment] = []
    private var spilled = false
    private(set) var count = 0

    func append(_ bytes: UnsafeRawBufferPointer, budget: inout MemoryBudget) throws {
        guard !bytes.isEmpty else { return }
        count += bytes.count
        if spilled {
            try write(bytes, to: budget.spool)
            return
        }
        memory.append(contentsOf: bytes)
        budget.used += bytes.count
        if memory.count > budget.partThreshold || budget.used > budget.messageLimit {
            try memory.withUnsafeBytes { try write($0, to: budget.spool) }
            budget.used -= memory.count
            budget.spooledParts += 1
            memory = []
            spilled = true
        }
    }

    private func write(_ bytes: UnsafeRawBufferPointer, to spool: MessageSpool) throws {
        let (offset, continues) = try spool.append(bytes, writer: ObjectIdentifier(self))
        if continues, let last = segments.indices.last {
            segments[last].length += bytes.count
        } else {
            segments.append(BodyBytes.Segment(offset: offset, length: bytes.count))
        }
    }

    func finish(spool: MessageSpool) -> BodyBytes {
        if spilled, let file = spool.spoolFile {
            return BodyBytes(storage: .file(file, segments: segments, count: count))
        }
        return BodyBytes(memory)
    }
}

/// How much of a message the parser may keep in memory, and where the rest goes.
struct MemoryBudget {
    var partThreshold: Int
    var messageLimit: Int
    let spool: MessageSpool
    var used = 0
    var spooledParts = 0
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The raw (still transfer-encoded) bytes of a body: in memory, or — above the spool threshold —
/// in a temporary file that was unlinked on creation, so nothing is left behind even after a crash.
public struct BodyBytes: Sendable {
    enum Storage: Sendable {
        case memory([UInt8])
        case file(SpoolFile, count: Int)
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
        case .file(_, let count): count
        }
    }

    /// Whether the bytes live in a spool file rather than memory.
    public var isSpooled: Bool {
        if case .file = storage { return true }
        return false
    }

    /// Calls `body` with consecutive chunks of the first `limit` bytes (all when `nil`).
    public func forEachChunk(limit: Int? = nil, chunkSize: Int = 1 << 16, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let total = min(limit ?? count, count)
        switch storage {
        case .memory(let bytes):
            try bytes.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[0..<total])) }
        case .file(let file, _):
            var buffer = [UInt8](repeating: 0, count: chunkSize)
            var offset = 0
            while offset < total {
                let want = min(chunkSize, total - offset)
                let got = try buffer.withUnsafeMutableBytes { try file.read(into: $0.baseAddress!, count: want, at: offset) }
                guard got > 0 else { throw SpoolError.shortRead(path: "spool", offset: offset) }
                try buffer.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[0..<got])) }
                offset += got
            }
        }
    }

    /// All bytes in memory (for small bodies, tests and rewriting).
    public func bytes(limit: Int? = nil) throws -> [UInt8] {
        if case .memory(let bytes) = storage {
            return limit.map { Array(bytes.prefix($0)) } ?? bytes
        }
        var result = [UInt8]()
        result.reserveCapacity(min(limit ?? count, count))
        try forEachChunk(limit: limit) { result.append(contentsOf: $0) }
        return result
    }

    /// The last `n` bytes (cheap for both storages).
    func suffix(_ n: Int) -> [UInt8] {
        switch storage {
        case .memory(let bytes):
            return Array(bytes.suffix(n))
        case .file(let file, let count):
            let want = min(n, count)
            var buffer = [UInt8](repeating: 0, count: want)
            let got = (try? buffer.withUnsafeMutableBytes { try file.read(into: $0.baseAddress!, count: want, at: count - want) }) ?? 0
            return Array(buffer.prefix(got))
        }
    }
}

/// A failure writing or reading the spool: the caller cannot do its job with this message and
/// answers the MTA with its failure action (tempfail by default).
public enum SpoolError: Error, Hashable, Sendable, CustomStringConvertible {
    case cannotCreate(directory: String, errno: Int32)
    case writeFailed(errno: Int32)
    case shortRead(path: String, offset: Int)

    public var description: String {
        switch self {
        case .cannotCreate(let directory, let code): "cannot create a spool file in \(directory): \(String(cString: strerror(code)))"
        case .writeFailed(let code): "spool write failed: \(String(cString: strerror(code)))"
        case .shortRead(_, let offset): "spool file ended early at offset \(offset)"
        }
    }
}

/// An open, already-unlinked temporary file. Written once by the parser, then only read with
/// `pread`, so sharing it between threads is safe.
final class SpoolFile: @unchecked Sendable {
    private let descriptor: Int32

    /// Creates an anonymous file in `directory`.
    init(directory: String) throws {
        var template = Array("\(directory)/sekisho-spool.XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw SpoolError.cannotCreate(directory: directory, errno: errno) }
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
            if errno != EINTR { throw SpoolError.shortRead(path: "spool", offset: offset) }
        }
    }
}

/// Collects a body while parsing: in memory until it passes the part threshold or the message's
/// memory budget is spent, then in a spool file (writes batched in 64 KiB).
final class BodyAccumulator {
    private var memory: [UInt8] = []
    private var file: SpoolFile?
    private var writeBuffer: [UInt8] = []
    private(set) var count = 0

    /// The last two bytes appended (to find the line break before a delimiter).
    private(set) var lastTwo: (UInt8, UInt8) = (0, 0)

    func append(_ bytes: UnsafeRawBufferPointer, budget: inout MemoryBudget) throws {
        guard !bytes.isEmpty else { return }
        count += bytes.count
        if bytes.count >= 2 {
            lastTwo = (bytes[bytes.count - 2], bytes[bytes.count - 1])
        } else {
            lastTwo = (lastTwo.1, bytes[0])
        }
        if let file {
            writeBuffer.append(contentsOf: bytes)
            if writeBuffer.count >= 1 << 16 {
                try writeBuffer.withUnsafeBytes { raw in try file.write(raw) }
                writeBuffer.removeAll(keepingCapacity: true)
            }
            return
        }
        memory.append(contentsOf: bytes)
        budget.used += bytes.count
        if memory.count > budget.partThreshold || budget.used > budget.messageLimit {
            let spool = try SpoolFile(directory: budget.spoolDirectory)
            try memory.withUnsafeBytes { raw in try spool.write(raw) }
            budget.used -= memory.count
            budget.spooledParts += 1
            memory = []
            file = spool
        }
    }

    func finish() throws -> BodyBytes {
        if let file {
            if !writeBuffer.isEmpty {
                try writeBuffer.withUnsafeBytes { raw in try file.write(raw) }
                writeBuffer = []
            }
            return BodyBytes(storage: .file(file, count: count))
        }
        return BodyBytes(memory)
    }
}

/// How much of a message the parser may keep in memory.
struct MemoryBudget {
    var partThreshold: Int
    var messageLimit: Int
    var spoolDirectory: String
    var used = 0
    var spooledParts = 0
}

import Foundation
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The directory that holds queued messages, one file each: `msg/<uuid>.eml`, written through
/// `tmp/` so a file in `msg/` is always complete. `quarantine/` holds message files no entry
/// refers to, moved there (never deleted) when a delivery service starts.
///
/// ``store(_:chunkSize:)`` makes the file durable before it returns: the bytes are written to
/// `tmp/`, `fsync`ed, renamed into `msg/`, and `msg/` itself is `fsync`ed so the rename survives a
/// crash. All file work runs on NIO's blocking-I/O thread pool.
public struct SpoolDirectory: Sendable {
    /// The spool's root.
    public let path: String
    let fileOperations: SpoolFileOperations

    /// Uses `path` (created by ``prepare()``).
    public init(path: String) {
        self.init(path: path, fileOperations: .posix)
    }

    /// Uses `path` with the given system calls (tests inject failures).
    init(path: String, fileOperations: SpoolFileOperations) {
        self.path = path
        self.fileOperations = fileOperations
    }

    /// What to store.
    public enum Source: Sendable {
        /// Bytes in memory.
        case bytes([UInt8])
        /// A file to copy (read in chunks).
        case file(String)
    }

    /// Creates `tmp/`, `msg/` and `quarantine/` (mode 0700) when missing.
    /// - Throws: ``MessageFileError``.
    public func prepare() async throws {
        let root = path
        let operations = fileOperations
        try await NIOThreadPool.singleton.runIfActive {
            for directory in [root, "\(root)/tmp", "\(root)/msg", "\(root)/quarantine"] {
                if mkdir(directory, 0o700) != 0, errno != EEXIST {
                    throw MessageFileError(path: directory, operation: "mkdir", errno: errno)
                }
            }
            try Self.syncDirectory(root, operations)
        }
    }

    /// The path of a stored message.
    public func messagePath(_ name: String) -> String { "\(path)/msg/\(name)" }

    /// The path a message file is moved to by ``quarantine(_:)``.
    public func quarantinePath(_ name: String) -> String { "\(path)/quarantine/\(name)" }

    /// Stores a message durably and returns its name and properties (size, 8-bit content).
    /// - Throws: ``MessageFileError``; nothing is left in `tmp/` or `msg/` then.
    public func store(_ source: Source, chunkSize: Int = 256 * 1024) async throws -> (name: String, properties: MessageProperties) {
        let name = UUID().uuidString.lowercased() + ".eml"
        let temporary = "\(path)/tmp/\(name)"
        let final = messagePath(name)
        let directory = "\(path)/msg"
        let operations = fileOperations
        let properties = try await NIOThreadPool.singleton.runIfActive { () throws -> MessageProperties in
            // -1 once closed, so a failure after the close never closes it (or a reused number) again.
            var output = operations.open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            guard output >= 0 else { throw MessageFileError(path: temporary, operation: "open", errno: errno) }
            var scanner = MessageScanner()
            var renamed = false
            do {
                switch source {
                case .bytes(let bytes):
                    try bytes.withUnsafeBytes { buffer in
                        scanner.scan(buffer)
                        try Self.writeAll(output, buffer, path: temporary, operations)
                    }
                case .file(let input):
                    try Self.copy(from: input, to: output, outputPath: temporary, chunkSize: chunkSize, scanner: &scanner, operations)
                }
                guard operations.fsync(output) == 0 else { throw MessageFileError(path: temporary, operation: "fsync", errno: errno) }
                let closed = operations.close(output)
                output = -1
                guard closed == 0 else { throw MessageFileError(path: temporary, operation: "close", errno: errno) }
                guard operations.rename(temporary, final) == 0 else { throw MessageFileError(path: final, operation: "rename", errno: errno) }
                renamed = true
                try Self.syncDirectory(directory, operations)
            } catch {
                if output >= 0 { _ = operations.close(output) }
                if renamed {
                    // The caller is told the message was not stored: it must not stay in msg/.
                    _ = operations.unlink(final)
                    try? Self.syncDirectory(directory, operations)
                } else {
                    _ = operations.unlink(temporary)
                }
                throw error
            }
            return scanner.properties
        }
        return (name, properties)
    }

    /// Checks that a stored message can be opened for reading (before a session is opened for it).
    /// - Throws: ``MessageFileError`` (`ENOENT` when it is missing).
    func checkReadable(_ name: String) async throws {
        let file = messagePath(name)
        let operations = fileOperations
        try await NIOThreadPool.singleton.runIfActive {
            let descriptor = operations.open(file, O_RDONLY | O_CLOEXEC, 0)
            guard descriptor >= 0 else { throw MessageFileError(path: file, operation: "open", errno: errno) }
            var status = stat()
            let result = fstat(descriptor, &status)
            let code = errno
            _ = operations.close(descriptor)
            guard result == 0 else { throw MessageFileError(path: file, operation: "fstat", errno: code) }
            guard status.st_mode & S_IFMT == S_IFREG else { throw MessageFileError(path: file, operation: "open", errno: EISDIR) }
        }
    }

    /// Moves a message file from `msg/` into `quarantine/` (durably) and returns its new path.
    /// - Throws: ``MessageFileError``.
    func quarantine(_ name: String) async throws -> String {
        let source = messagePath(name)
        let target = quarantinePath(name)
        let root = path
        let operations = fileOperations
        try await NIOThreadPool.singleton.runIfActive {
            guard operations.rename(source, target) == 0 else { throw MessageFileError(path: source, operation: "rename", errno: errno) }
            try Self.syncDirectory("\(root)/quarantine", operations)
            try Self.syncDirectory("\(root)/msg", operations)
        }
        return target
    }

    /// A name for a message kept in its queue row (no file): `inline:<instance>-<number>`, unique
    /// as the queue instance is (``OutboundQueue/instanceID``'s uuid) and its counter.
    static func inlineName(instance: String, number: UInt64) -> String { "inline:\(instance)-\(number)" }

    /// Whether `name` stands for a message kept in its queue row.
    static func isInline(_ name: String) -> Bool { name.hasPrefix("inline:") }

    /// Removes a stored message (a missing file, or a message kept in its row, is fine).
    public func remove(_ name: String) async {
        guard !Self.isInline(name) else { return }
        let file = messagePath(name)
        let operations = fileOperations
        _ = try? await NIOThreadPool.singleton.runIfActive { operations.unlink(file) }
    }

    /// Reads the message's header section (up to the first empty line, at most `limit` bytes).
    public func headerSection(of name: String, limit: Int = 64 * 1024) async throws -> [UInt8] {
        let reader = try await MessageFileReader.open(messagePath(name))
        var bytes: [UInt8] = []
        do {
            while bytes.count < limit, let chunk = try await reader.next(maximum: 16 * 1024) {
                bytes.append(contentsOf: chunk.readableBytesView)
                if let end = Self.endOfHeaders(bytes) {
                    bytes.removeSubrange(end...)
                    break
                }
            }
        } catch {
            await reader.close()
            throw error
        }
        await reader.close()
        return Array(bytes.prefix(limit))
    }

    /// Names in `msg/` and `tmp/` whose modification time is older than `age`.
    func staleFiles(olderThan age: Duration) async throws -> (messages: [String], temporary: [String]) {
        let root = path
        let cutoff = Date().addingTimeInterval(-Double(age.components.seconds))
        return try await NIOThreadPool.singleton.runIfActive {
            func stale(_ directory: String) -> [String] {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
                return names.filter { name in
                    let modified = (try? FileManager.default.attributesOfItem(atPath: "\(directory)/\(name)"))?[.modificationDate] as? Date
                    return (modified ?? .distantPast) < cutoff
                }
            }
            return (stale("\(root)/msg"), stale("\(root)/tmp"))
        }
    }

    /// Removes a file from `tmp/`.
    func removeTemporary(_ name: String) async {
        let file = "\(path)/tmp/\(name)"
        let operations = fileOperations
        _ = try? await NIOThreadPool.singleton.runIfActive { operations.unlink(file) }
    }

    static func endOfHeaders(_ bytes: [UInt8]) -> Int? {
        var index = 0
        var atLineStart = true
        while index < bytes.count {
            let byte = bytes[index]
            if atLineStart, byte == UInt8(ascii: "\n") { return index + 1 }
            if atLineStart, byte == UInt8(ascii: "\r"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "\n") { return index + 2 }
            atLineStart = byte == UInt8(ascii: "\n")
            index += 1
        }
        return nil
    }

    private static func copy(
        from input: String,
        to output: CInt,
        outputPath: String,
        chunkSize: Int,
        scanner: inout MessageScanner,
        _ operations: SpoolFileOperations
    ) throws {
        let source = operations.open(input, O_RDONLY | O_CLOEXEC, 0)
        guard source >= 0 else { throw MessageFileError(path: input, operation: "open", errno: errno) }
        defer { _ = operations.close(source) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = operations.read(source, buffer.baseAddress, chunkSize)
            if count < 0 {
                if errno == EINTR { continue }
                throw MessageFileError(path: input, operation: "read", errno: errno)
            }
            if count == 0 { return }
            let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
            scanner.scan(chunk)
            try writeAll(output, chunk, path: outputPath, operations)
        }
    }

    private static func writeAll(_ descriptor: CInt, _ bytes: UnsafeRawBufferPointer, path: String, _ operations: SpoolFileOperations) throws {
        var offset = 0
        while offset < bytes.count {
            let written = operations.write(descriptor, bytes.baseAddress.map { $0 + offset }, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw MessageFileError(path: path, operation: "write", errno: errno)
            }
            offset += written
        }
    }

    /// `fsync` on a directory makes the names in it (a rename, a new file) durable.
    static func syncDirectory(_ directory: String, _ operations: SpoolFileOperations) throws {
        let descriptor = operations.open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0)
        guard descriptor >= 0 else { throw MessageFileError(path: directory, operation: "open", errno: errno) }
        defer { _ = operations.close(descriptor) }
        guard operations.fsync(descriptor) == 0 else { throw MessageFileError(path: directory, operation: "fsync", errno: errno) }
    }
}

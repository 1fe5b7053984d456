import Foundation
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The directory that holds queued messages, one file each: `msg/<uuid>.eml`, written through
/// `tmp/` so a file in `msg/` is always complete.
///
/// ``store(_:)`` makes the file durable before it returns: the bytes are written to `tmp/`,
/// `fsync`ed, renamed into `msg/`, and `msg/` itself is `fsync`ed so the rename survives a crash.
/// All file work runs on NIO's blocking-I/O thread pool.
public struct SpoolDirectory: Sendable {
    /// The spool's root.
    public let path: String

    /// Uses `path` (created by ``prepare()``).
    public init(path: String) {
        self.path = path
    }

    /// What to store.
    public enum Source: Sendable {
        /// Bytes in memory.
        case bytes([UInt8])
        /// A file to copy (read in chunks).
        case file(String)
    }

    /// Creates `tmp/` and `msg/` (mode 0700) when missing.
    /// - Throws: ``MessageFileError``.
    public func prepare() async throws {
        let root = path
        try await NIOThreadPool.singleton.runIfActive {
            for directory in [root, "\(root)/tmp", "\(root)/msg"] {
                if mkdir(directory, 0o700) != 0, errno != EEXIST {
                    throw MessageFileError(path: directory, operation: "mkdir", errno: errno)
                }
            }
            try Self.syncDirectory(root)
        }
    }

    /// The path of a stored message.
    public func messagePath(_ name: String) -> String { "\(path)/msg/\(name)" }

    /// Stores a message durably and returns its name and properties (size, 8-bit content).
    /// - Throws: ``MessageFileError``; nothing is left in `msg/` then.
    public func store(_ source: Source, chunkSize: Int = 256 * 1024) async throws -> (name: String, properties: MessageProperties) {
        let name = UUID().uuidString.lowercased() + ".eml"
        let temporary = "\(path)/tmp/\(name)"
        let final = messagePath(name)
        let directory = "\(path)/msg"
        let properties = try await NIOThreadPool.singleton.runIfActive { () throws -> MessageProperties in
            let output = SystemCalls.open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            guard output >= 0 else { throw MessageFileError(path: temporary, operation: "open", errno: errno) }
            var scanner = MessageScanner()
            do {
                switch source {
                case .bytes(let bytes):
                    try bytes.withUnsafeBytes { buffer in
                        scanner.scan(buffer)
                        try Self.writeAll(output, buffer, path: temporary)
                    }
                case .file(let input):
                    try Self.copy(from: input, to: output, outputPath: temporary, chunkSize: chunkSize, scanner: &scanner)
                }
                guard fsync(output) == 0 else { throw MessageFileError(path: temporary, operation: "fsync", errno: errno) }
                SystemCalls.close(output)
                guard rename(temporary, final) == 0 else { throw MessageFileError(path: final, operation: "rename", errno: errno) }
                try Self.syncDirectory(directory)
            } catch {
                SystemCalls.close(output)
                unlink(temporary)
                throw error
            }
            return scanner.properties
        }
        return (name, properties)
    }

    /// Removes a stored message (a missing file is fine).
    public func remove(_ name: String) async {
        let file = messagePath(name)
        _ = try? await NIOThreadPool.singleton.runIfActive { unlink(file) }
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
        _ = try? await NIOThreadPool.singleton.runIfActive { unlink(file) }
    }

    private static func endOfHeaders(_ bytes: [UInt8]) -> Int? {
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

    private static func copy(from input: String, to output: CInt, outputPath: String, chunkSize: Int, scanner: inout MessageScanner) throws {
        let source = SystemCalls.open(input, O_RDONLY | O_CLOEXEC)
        guard source >= 0 else { throw MessageFileError(path: input, operation: "open", errno: errno) }
        defer { SystemCalls.close(source) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = SystemCalls.read(source, buffer.baseAddress, chunkSize)
            if count < 0 {
                if errno == EINTR { continue }
                throw MessageFileError(path: input, operation: "read", errno: errno)
            }
            if count == 0 { return }
            let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
            scanner.scan(chunk)
            try writeAll(output, chunk, path: outputPath)
        }
    }

    private static func writeAll(_ descriptor: CInt, _ bytes: UnsafeRawBufferPointer, path: String) throws {
        var offset = 0
        while offset < bytes.count {
            let written = SystemCalls.write(descriptor, bytes.baseAddress.map { $0 + offset }, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw MessageFileError(path: path, operation: "write", errno: errno)
            }
            offset += written
        }
    }

    /// `fsync` on a directory makes the names in it (a rename, a new file) durable.
    static func syncDirectory(_ directory: String) throws {
        let descriptor = SystemCalls.open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw MessageFileError(path: directory, operation: "open", errno: errno) }
        defer { SystemCalls.close(descriptor) }
        guard fsync(descriptor) == 0 else { throw MessageFileError(path: directory, operation: "fsync", errno: errno) }
    }
}

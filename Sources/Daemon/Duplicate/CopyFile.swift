import Foundation
import MailMessage
import Outbound

/// Serialises a copy for the queue: in memory while small, else into a temporary file (mode
/// 0600) that the queue copies into its spool, so a 100 MB copy never sits in memory whole.
enum CopyFile {
    /// Copies larger than this go through a file.
    static let memoryLimit = 8 << 20

    /// The copy as a queue source, and the temporary file to remove after enqueueing (if any).
    static func write(_ message: MailMessage, prefix: [UInt8], directory: String) throws -> (SpoolDirectory.Source, String?) {
        var memory = prefix
        var file: (handle: FileHandle, path: String)?
        do {
            try message.write { chunk in
                if let file {
                    try file.handle.write(contentsOf: chunk)
                    return
                }
                memory.append(contentsOf: chunk)
                if memory.count > memoryLimit {
                    let opened = try open(in: directory)
                    file = opened
                    try opened.handle.write(contentsOf: memory)
                    memory = []
                }
            }
            guard let file else { return (.bytes(memory), nil) }
            try file.handle.close()
            return (.file(file.path), file.path)
        } catch {
            if let file {
                try? file.handle.close()
                unlink(file.path)
            }
            throw error
        }
    }

    private static func open(in directory: String) throws -> (handle: FileHandle, path: String) {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var template = Array("\(directory)/copy.XXXXXX".utf8CString)
        // mkstemp makes the file 0600.
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else { throw FilterError(filter: "duplicate", reason: "cannot create a temporary file in \(directory): \(String(cString: strerror(errno)))") }
        _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        return (FileHandle(fileDescriptor: descriptor, closeOnDealloc: true), String(cString: template.withUnsafeBufferPointer { $0.baseAddress! }))
    }
}

import ArgumentParser
import Foundation
import ZipArchive

/// `sekisho zip`: writes a ZIP archive of files with the gateway's writer — AES-256, ZipCrypto or
/// no encryption; UTF-8 or CP932 names — streaming each file in 64 KiB reads (docs/zip.md).
///
/// The password comes from a file or stdin, never from the command line (which every user on the
/// machine can see in the process list).
struct ZipCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zip",
        abstract: "Write an encrypted ZIP archive of files (each stored under its file name).",
        discussion: "The password is the first line of --password-file (trailing newline removed); '-' reads it from stdin."
    )

    /// How entry names are stored.
    enum NameEncoding: String, ExpressibleByArgument, CaseIterable {
        /// UTF-8 with general purpose bit 11.
        case utf8
        /// CP932 bytes without bit 11, for Japanese Windows Explorer before Windows 10.
        case cp932
    }

    @Option(name: .shortAndLong, help: "The archive to write (created or truncated, mode 0600).")
    var output: String

    @Option(help: "aes256, zipcrypto or none.")
    var encryption = "aes256"

    @Option(help: "Deflate level 1-9; 0 stores uncompressed.")
    var level: Int32 = 6

    @Option(help: "Entry name encoding: utf8 or cp932.")
    var names = NameEncoding.utf8

    @Option(help: "A file whose first line is the password, or - for stdin.")
    var passwordFile: String?

    @Flag(help: "Write ZIP64 records even when not needed (for testing readers).")
    var forceZip64 = false

    @Argument(help: "The files to add.")
    var files: [String]

    /// The size of each read(2) from an input file.
    static let readSize = 64 * 1024

    func validate() throws {
        guard let encryption = ZipEncryption(rawValue: encryption) else {
            throw ValidationError("--encryption must be one of \(ZipEncryption.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard (0...9).contains(level) else { throw ValidationError("--level must be 0-9") }
        guard encryption == .none || passwordFile != nil else {
            throw ValidationError("--password-file is required with --encryption \(encryption.rawValue)")
        }
        guard !files.isEmpty else { throw ValidationError("no files to add") }
    }

    func run() throws {
        let encryption = ZipEncryption(rawValue: encryption) ?? .aes256
        let password = try passwordFile.map(Self.readPassword) ?? []
        let entries = try files.map { path in (path: path, name: try entryName(for: path)) }
        var seen = Set<[UInt8]>()
        for entry in entries where !seen.insert(entry.name.bytes).inserted {
            throw ValidationError("two files are both named \((entry.path as NSString).lastPathComponent)")
        }
        let archive = try ZipFileOutput(path: output)
        do {
            var options = ZipWriterOptions(encryption: encryption, compressionLevel: level)
            options.forceZip64 = forceZip64
            let writer = try ZipWriter(output: archive, password: password, options: options)
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.readSize, alignment: 16)
            defer { buffer.deallocate() }
            for entry in entries {
                try Self.add(entry.path, as: entry.name, to: writer, buffer: buffer)
            }
            try writer.finish()
            try archive.close()
        } catch {
            try? archive.close()
            unlink(output)
            throw error
        }
    }

    /// The stored name: the file's last path component, in the chosen encoding.
    private func entryName(for path: String) throws -> ZipEntryName {
        let name = (path as NSString).lastPathComponent
        switch names {
        case .utf8: return ZipEntryName(utf8: name)
        case .cp932: return try ZipEntryName(name, charset: "CP932")
        }
    }

    /// Streams one file into a new entry.
    static func add(_ path: String, as name: ZipEntryName, to writer: ZipWriter, buffer: UnsafeMutableRawBufferPointer) throws {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw ValidationError("cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else {
            throw ValidationError("\(path) is not a regular file")
        }
        let modified = Date(timeIntervalSince1970: TimeInterval(status.st_mtim.tv_sec))
        // The size now is only a hint: the file may still grow; the writer copes either way.
        try writer.beginEntry(name, modified: modified, sizeHint: UInt64(status.st_size))
        while true {
            let count = read(descriptor, buffer.baseAddress, buffer.count)
            if count < 0 {
                if errno == EINTR { continue }
                throw ValidationError("reading \(path): \(String(cString: strerror(errno)))")
            }
            if count == 0 { break }
            try writer.write(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
        }
        try writer.endEntry()
    }

    /// The first line of `file` (or of stdin for `-`), without its line ending.
    static func readPassword(from file: String) throws -> [UInt8] {
        let data: Data
        if file == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            guard let contents = FileManager.default.contents(atPath: file) else {
                throw ValidationError("cannot read the password file \(file)")
            }
            data = contents
        }
        var line = Array(data.prefix { $0 != UInt8(ascii: "\n") })
        if line.last == UInt8(ascii: "\r") { line.removeLast() }
        guard !line.isEmpty else { throw ValidationError("the password in \(file) is empty") }
        return line
    }
}

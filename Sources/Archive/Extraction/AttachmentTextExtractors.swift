import Foundation

/// Programs that turn attachments into text for the index, by file extension: `{}` in the
/// command is the file. Defaults use what Debian has when it is installed: `pdftotext`
/// (poppler-utils) for PDF, `docx2txt` for Word. The files come from strangers: each run is
/// bounded in time (killed with SIGKILL), and through util-linux `prlimit` in memory (1 GiB of
/// address space), CPU time and the size of what it writes; a failing extractor only leaves
/// that file's text out of the index.
public struct AttachmentTextExtractors: Sendable, Equatable {
    /// Lower-case extension (without the dot) → argv.
    public var commands: [String: [String]]
    /// Kill an extractor after this long.
    public var timeout: TimeInterval = 20
    /// Attachments larger than this are not handed to an extractor.
    public var maximumInput = 32 << 20
    /// Text beyond this many bytes is dropped.
    public var maximumOutput = 1 << 20

    public init(commands: [String: [String]]) {
        self.commands = commands
    }

    /// The programs found on this machine.
    public static var installed: AttachmentTextExtractors {
        var commands = [String: [String]]()
        if let pdftotext = which("pdftotext") { commands["pdf"] = [pdftotext, "-q", "-enc", "UTF-8", "{}", "-"] }
        if let docx2txt = which("docx2txt") { commands["docx"] = [docx2txt, "{}", "-"] }
        return AttachmentTextExtractors(commands: commands)
    }

    static func which(_ program: String) -> String? {
        for directory in ["/usr/bin", "/usr/local/bin", "/bin"] {
            let path = directory + "/" + program
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    /// The text of `bytes` (a file named with `fileExtension`), or `nil` without an extractor
    /// or when it fails.
    func text(of bytes: [UInt8], fileExtension: String, scratch: URL) -> String? {
        guard let command = commands[fileExtension.lowercased()], !command.isEmpty, bytes.count <= maximumInput else { return nil }
        let input = scratch.appendingPathComponent("extract-\(UUID().uuidString).\(fileExtension)")
        let output = scratch.appendingPathComponent("extract-\(UUID().uuidString).txt")
        defer {
            unlink(input.path)
            unlink(output.path)
        }
        guard FileManager.default.createFile(atPath: input.path, contents: Data(bytes), attributes: [.posixPermissions: 0o600]),
              FileManager.default.createFile(atPath: output.path, contents: nil, attributes: [.posixPermissions: 0o600]),
              let sink = FileHandle(forWritingAtPath: output.path)
        else { return nil }
        let process = Process()
        var argv = command.map { $0 == "{}" ? input.path : $0 }
        if let prlimit = Self.which("prlimit") {
            argv = [prlimit, "--as=\(1 << 30)", "--cpu=\(Int(timeout) + 5)", "--fsize=\(maximumOutput * 4)", "--nofile=64", "--"] + argv
        }
        process.executableURL = URL(fileURLWithPath: argv[0])
        process.arguments = Array(argv.dropFirst())
        process.standardOutput = sink
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            try? sink.close()
            return nil
        }
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            if Date() > deadline {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                try? sink.close()
                return nil
            }
            usleep(5_000)
        }
        try? sink.close()
        guard process.terminationStatus == 0, let handle = FileHandle(forReadingAtPath: output.path) else { return nil }
        defer { try? handle.close() }
        let data = (try? handle.read(upToCount: maximumOutput)) ?? nil
        return data.map { String(decoding: $0, as: UTF8.self) }
    }
}

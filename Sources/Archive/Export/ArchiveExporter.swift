import Foundation
import MailMessage
import ZipArchive

/// How a search result is exported.
public enum ArchiveExportFormat: String, Sendable, CaseIterable {
    /// mboxrd: `From ` separator lines, `>`-quoting of `From ` lines (reversible), LF line ends.
    case mbox
    /// A ZIP (no encryption) of `.eml` files, the bytes exactly as archived.
    case zip
}

/// Writes messages (read through the store, digest-checked) into one export file.
struct ArchiveExporter {
    let store: ArchiveStore

    func export(_ messages: [ArchivedMessage], format: ArchiveExportFormat, to url: URL) throws {
        switch format {
        case .mbox: try mbox(messages, to: url)
        case .zip: try zip(messages, to: url)
        }
    }

    fileprivate func mbox(_ messages: [ArchivedMessage], to url: URL) throws {
        guard FileManager.default.createFile(atPath: url.path, contents: nil, attributes: [.posixPermissions: 0o600]),
              let handle = FileHandle(forWritingAtPath: url.path)
        else { throw ArchiveError.storage("cannot create \(url.path)") }
        defer { try? handle.close() }
        for message in messages {
            let bytes = try store.bytes(of: message)
            try handle.write(contentsOf: ArchiveMbox.entry(bytes, sender: message.envelope.sender, date: message.envelope.receivedAt))
        }
    }

}

/// The mboxrd format.
public enum ArchiveMbox {
    /// One mboxrd entry: the separator, the message with CRLF → LF and `>*From ` lines quoted, a blank line.
    public static func entry(_ bytes: [UInt8], sender: String, date: Date) -> Data {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE MMM dd HH:mm:ss yyyy"
        var output = Data("From \(sender.isEmpty ? "MAILER-DAEMON" : sender) \(formatter.string(from: date))\n".utf8)
        var lineStart = 0
        var index = 0
        func emit(_ end: Int) {
            var line = bytes[lineStart..<end]
            if line.last == 0x0D { line = line.dropLast() }
            let quoted = line.drop { $0 == UInt8(ascii: ">") }
            if quoted.starts(with: Array("From ".utf8)) { output.append(UInt8(ascii: ">")) }
            output.append(contentsOf: line)
            output.append(0x0A)
        }
        while index < bytes.count {
            if bytes[index] == 0x0A {
                emit(index)
                lineStart = index + 1
            }
            index += 1
        }
        if lineStart < bytes.count { emit(bytes.count) }
        output.append(0x0A)
        return output
    }

}

extension ArchiveExporter {
    fileprivate func zip(_ messages: [ArchivedMessage], to url: URL) throws {
        let output = try ZipFileOutput(path: url.path)
        let writer = try ZipWriter(output: output, password: [], options: ZipWriterOptions(encryption: .none))
        var used = Set<String>()
        for message in messages {
            let bytes = try store.bytes(of: message)
            var name = Self.entryName(message)
            var counter = 2
            while !used.insert(name).inserted {
                name = Self.entryName(message, suffix: "-\(counter)")
                counter += 1
            }
            try writer.beginEntry(ZipEntryName(utf8: name), modified: message.envelope.receivedAt, sizeHint: UInt64(bytes.count))
            try writer.write(bytes)
            try writer.endEntry()
        }
        try writer.finish()
    }

    /// `<yyyymmdd-hhmmss>-<id>-<subject>.eml`, made safe for every file system.
    static func entryName(_ message: ArchivedMessage, suffix: String = "") -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        // SafeFilename keeps the last path component: a "/" in the subject must not eat the prefix.
        let subject = String(message.subject.prefix(60)).replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "\\", with: "_")
        let base = "\(formatter.string(from: message.envelope.receivedAt))-\(message.id)\(subject.isEmpty ? "" : "-" + subject)\(suffix).eml"
        return SafeFilename.make(base, maxBytes: 200, fallback: "message-\(message.id).eml")
    }
}

import Foundation
import MailMessage
import ZipArchive

#if canImport(Glibc)
import Glibc
#endif

/// Builds the encrypted archive(s) for a message's attachments: each part's decoded content
/// streamed into the ZIP writer (a temporary, already unlinked file), then base64-encoded into
/// a spooled MIME part. Memory stays flat however large the attachments are.
struct AttachmentArchiver {
    /// One file going into an archive.
    struct Item {
        /// The name inside the archive (safe, unique).
        var name: String
        /// Produces the file's bytes.
        var content: (_ sink: (UnsafeRawBufferPointer) throws -> Void) throws -> Void
        /// An upper bound of its size, for ZIP64 decisions.
        var sizeHint: UInt64
    }

    /// A finished archive as a MIME part.
    struct Archive {
        var name: String
        var part: MIMEEntity
        var files: [String]
        var size: Int
    }

    let settings: EncryptSettings
    let spoolDirectory: String

    /// Writes `items` into one encrypted archive named `name`.
    func archive(_ items: [Item], name: String, password: Secret, modified: Date) throws -> Archive {
        var template = Array("\(spoolDirectory)/sekisho-zip.XXXXXX".utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else { throw FilterError(filter: "encrypt", reason: "cannot create a temporary file in \(spoolDirectory): \(String(cString: strerror(errno)))") }
        _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        defer { close(descriptor) }

        let output = ZipFileOutput(fileDescriptor: descriptor)
        let writer = try ZipWriter(
            output: output, password: Array(password.value.utf8),
            options: {
                var options = ZipWriterOptions(encryption: settings.encryption, compressionLevel: settings.compressionLevel)
                options.timeZone = settings.timeZone
                return options
            }()
        )
        for item in items {
            try writer.beginEntry(Self.entryName(item.name, settings.nameEncoding), modified: modified, sizeHint: item.sizeHint)
            try item.content { try writer.write($0) }
            try writer.endEntry()
        }
        try writer.finish()
        let size = Int(output.offset)

        // Base64 in blocks of 57 × 1024 input bytes: whole 76-character lines, so the pieces
        // join into exactly what one pass over the file would give.
        let spool = try SpoolWriter(directory: spoolDirectory)
        var buffer = [UInt8](repeating: 0, count: 57 * 1024)
        var offset = 0
        while offset < size {
            // Fill the whole block (a short read would put padding in the middle).
            let want = min(buffer.count, size - offset)
            var filled = 0
            while filled < want {
                let got = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress! + filled, want - filled, off_t(offset + filled)) }
                if got < 0 && errno == EINTR { continue }
                guard got > 0 else { throw FilterError(filter: "encrypt", reason: "cannot read back the archive: \(String(cString: strerror(errno)))") }
                filled += got
            }
            try spool.append(Base64Encoder.encode(buffer[0..<filled]))
            offset += filled
        }
        let part = MIMEEntity.attachment(filename: name, contentType: settings.contentType, base64Body: try spool.finish())
        return Archive(name: name, part: part, files: items.map(\.name), size: size)
    }

    /// The entry name in the configured encoding; a name CP932 cannot write stays UTF-8.
    static func entryName(_ name: String, _ encoding: ZipNameEncoding) -> ZipEntryName {
        if encoding == .cp932, let bytes = TextEncoder.encode(name, charset: MIMECharset(label: "cp932")) {
            return ZipEntryName(bytes: bytes, isUTF8: false)
        }
        return ZipEntryName(utf8: name)
    }
}

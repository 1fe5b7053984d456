import Foundation
import MailMessage
import Testing
import ZipArchive

@testable import Daemon

extension SanitizerSuites {
    /// The risky-attachment classifier on real bytes: names, declared types and content each catch
    /// what they should, and ordinary documents stay unflagged.
    @Suite("Copy sanitizer: risky attachments", .serialized)
    struct RiskyAttachmentTests {
        static func kinds(_ name: String, _ type: String, _ content: [UInt8]) -> Set<RiskyKind> {
            RiskyAttachment(names: [name], contentType: type, content: content).kinds
        }

        static func kinds(_ name: String, _ content: [UInt8]) -> Set<RiskyKind> {
            kinds(name, "application/octet-stream", content)
        }

        static func utf16(_ text: String) -> [UInt8] {
            text.utf16.flatMap { unit -> [UInt8] in [UInt8(unit & 0xFF), UInt8(unit >> 8)] }
        }

        /// A ZIP made by the project's writer.
        static func zip(_ entries: [(String, [UInt8])], encryption: ZipEncryption = .none) throws -> [UInt8] {
            let output = ZipMemoryOutput()
            let writer = try ZipWriter(output: output, password: encryption == .none ? [] : Array("secret".utf8), options: ZipWriterOptions(encryption: encryption))
            for (name, content) in entries {
                try writer.beginEntry(ZipEntryName(utf8: name), modified: Date(timeIntervalSince1970: 1_700_000_000), sizeHint: UInt64(content.count))
                try writer.write(content)
                try writer.endEntry()
            }
            try writer.finish()
            return output.bytes
        }

        static let ooxmlEntries: [(String, [UInt8])] = [
            ("[Content_Types].xml", Array("<?xml version=\"1.0\"?><Types/>".utf8)),
            ("word/document.xml", Array("<w:document/>".utf8)),
        ]

        /// An OLE compound file: the header signature, then 128-byte directory entries whose names
        /// are UTF-16LE, at 512 (the first sector).
        static func ole(directory names: [String], textBefore: String = "") -> [UInt8] {
            var bytes: [UInt8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1] + [UInt8](repeating: 0, count: 504)
            for name in names {
                var entry = utf16(name) + [0, 0]
                entry += [UInt8](repeating: 0, count: 128 - entry.count)
                bytes += entry
            }
            bytes += utf16(textBefore)
            return bytes + [UInt8](repeating: 0, count: 512)
        }

        static let pe: [UInt8] = Array("MZ".utf8) + [UInt8](repeating: 0x90, count: 58) + [0x40, 0, 0, 0] + Array("PE".utf8) + [0, 0, 0x4C, 0x01]
        static let elf: [UInt8] = [0x7F, 0x45, 0x4C, 0x46, 0x02, 0x01, 0x01, 0x00] + [UInt8](repeating: 0, count: 56)
        static let pdf = Array("%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n".utf8)
        static let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13] + Array("IHDR".utf8) + [UInt8](repeating: 1, count: 17)
        static let sevenZip: [UInt8] = [0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C, 0x00, 0x04] + [UInt8](repeating: 0x11, count: 40)

        // MARK: executable

        @Test("programs are executable by content whatever the name: PE (MZ), ELF, Mach-O, #! scripts")
        func executableContent() {
            #expect(Self.kinds("invoice.pdf", "application/pdf", Self.pe) == [.executable])
            #expect(Self.kinds("data.bin", Self.elf) == [.executable])
            #expect(Self.kinds("photo.jpg", "image/jpeg", [0xCF, 0xFA, 0xED, 0xFE, 7, 0, 0, 1]) == [.executable])
            #expect(Self.kinds("notes.txt", "text/plain", Array("#!/bin/sh\nrm -rf ~\n".utf8)) == [.executable])
        }

        @Test(
            "executable names count however they are disguised",
            arguments: ["setup.exe", "invoice.pdf.exe", "evil.exe.", "evil.exe  ", "EVIL.EXE", "run.js", "a.ps1", "x.hta", "link.lnk", "disk.iso", "invoice\u{202E}fdp.exe", "C:\\tmp\\evil.scr", "app.apk"]
        )
        func executableNames(_ name: String) {
            #expect(Self.kinds(name, Array("plain text".utf8)).contains(.executable), "\(name)")
        }

        @Test("an executable declared type counts; an executable hidden in a plain ZIP makes it executable too")
        func executableTypesAndZipEntries() throws {
            #expect(Self.kinds("readme.txt", "application/x-msdownload", Array("x".utf8)) == [.executable])
            let archive = try Self.zip([("docs/readme.txt", Array("hi".utf8)), ("docs/invoice.pdf.exe", Self.pe)])
            #expect(Self.kinds("docs.zip", "application/zip", archive) == [.archive, .executable])
        }

        // MARK: macro

        @Test("a .docx that holds word/vbaProject.bin is a macro document, not an archive")
        func macroInOOXML() throws {
            let docm = try Self.zip(Self.ooxmlEntries + [("word/vbaProject.bin", Self.ole(directory: ["Root Entry"]))])
            #expect(Self.kinds("report.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", docm) == [.macro])
            #expect(Self.kinds("report.xlsm", Array("x".utf8)) == [.macro])
            #expect(Self.kinds("book.xlsx", "application/vnd.ms-excel.sheet.macroEnabled.12", Array("x".utf8)) == [.macro])
        }

        @Test("an OLE file with a _VBA_PROJECT or Macros directory entry has macros; the same words in its text do not count")
        func macroInOLE() {
            #expect(Self.kinds("budget.xls", "application/vnd.ms-excel", Self.ole(directory: ["Root Entry", "_VBA_PROJECT_CUR", "VBA"])) == [.macro])
            #expect(Self.kinds("letter.doc", "application/msword", Self.ole(directory: ["Root Entry", "Macros"])) == [.macro])
            #expect(Self.kinds("letter.doc", "application/msword", Self.ole(directory: ["Root Entry", "WordDocument"], textBefore: "x_VBA_PROJECT and Macros")) == [])
        }

        // MARK: archive

        @Test("archives by magic number, whatever the name")
        func archiveContent() throws {
            var tar = [UInt8](repeating: 0, count: 512)
            tar.replaceSubrange(0..<8, with: Array("file.txt".utf8))
            tar.replaceSubrange(257..<263, with: Array("ustar\0".utf8))
            let samples: [(String, [UInt8])] = [
                ("zip", try Self.zip([("a.txt", Array("hello".utf8))])),
                ("gzip", [0x1F, 0x8B, 0x08, 0x00, 0, 0, 0, 0, 0, 3]),
                ("bzip2", Array("BZh91AY&SY".utf8)),
                ("xz", [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00, 0x00, 0x04]),
                ("7z", Self.sevenZip),
                ("rar", RARHeaders.signature4 + [0xCF, 0x90, 0x73, 0x00, 0x00, 0x0D, 0x00] + [UInt8](repeating: 0, count: 6)),
                ("tar", tar),
                ("cab", Array("MSCF\0\0\0\0".utf8)),
                ("lzh", [0x20, 0x00] + Array("-lh5-".utf8) + [0, 0, 0]),
                ("zstd", [0x28, 0xB5, 0x2F, 0xFD, 0x04, 0x00]),
            ]
            for (label, content) in samples {
                #expect(Self.kinds("scan.dat", content) == [.archive], "\(label)")
            }
        }

        @Test("an archive name or type counts even when the bytes say nothing, but not for a real OOXML document")
        func archiveNames() throws {
            #expect(Self.kinds("backup.7z", Array("not really".utf8)) == [.archive])
            #expect(Self.kinds("files.bin", "application/x-zip-compressed", Array("?".utf8)) == [.archive])
            let docx = try Self.zip(Self.ooxmlEntries)
            #expect(Self.kinds("minutes.docx", "application/x-zip-compressed", docx) == [])
        }

        // MARK: encrypted

        @Test("a ZIP is a document only by name or type *and* entries: invoice.zip with a mimetype entry is an archive; a program inside counts anyway")
        func documentDisguise() throws {
            let disguised = try Self.zip([("mimetype", Array("application/vnd.oasis.opendocument.text".utf8)), ("invoice.exe", Array("MZ".utf8) + [UInt8](repeating: 0, count: 64))])
            #expect(Self.kinds("invoice.zip", "application/zip", disguised).isSuperset(of: [.archive, .executable]))
            #expect(Self.kinds("report.odt", "application/vnd.oasis.opendocument.text", disguised).contains(.executable))
            let document = try Self.zip([("[Content_Types].xml", Array("<Types/>".utf8)), ("word/document.xml", Array("<w/>".utf8))])
            #expect(Self.kinds("report.zip", "application/zip", document).contains(.archive))
            #expect(Self.kinds("report.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", document).isEmpty)
        }

        @Test("HTML, SVG and MHT files count as executable (HTML smuggling); XML does not")
        func activeDocuments() {
            for name in ["invoice.html", "view.HTM", "logo.svg", "page.mht", "notes.one"] {
                #expect(Self.kinds(name, "application/octet-stream", Array("<html><script>x()</script></html>".utf8)).contains(.executable), "\(name)")
            }
            #expect(Self.kinds("attachment", "text/html", Array("<p>hi</p>".utf8)).contains(.executable))
            #expect(Self.kinds("invoice.xml", "application/xml", Array("<Invoice/>".utf8)).isEmpty)
        }

        @Test("an encrypted ZIP (AES and ZipCrypto) is an archive and encrypted")
        func encryptedZip() throws {
            for encryption in [ZipEncryption.aes256, .zipCrypto] {
                let archive = try Self.zip([("secret.txt", Array("classified".utf8))], encryption: encryption)
                #expect(Self.kinds("secret.zip", "application/zip", archive) == [.archive, .encrypted], "\(encryption)")
            }
        }

        @Test("7z is encrypted only with the AES coder; PDF with /Encrypt; OLE with EncryptedPackage; RAR by its flags")
        func encryptedFormats() {
            #expect(Self.kinds("a.7z", Self.sevenZip + [0x0B, 0x04, 0x24, 0x06, 0xF1, 0x07, 0x01, 0x0A]) == [.archive, .encrypted])
            let encryptedPDF = Array("%PDF-1.6\ntrailer << /Root 1 0 R /Encrypt 5 0 R >>\n%%EOF\n".utf8)
            #expect(Self.kinds("statement.pdf", "application/pdf", encryptedPDF) == [.encrypted])
            #expect(Self.kinds("plan.docx", Self.ole(directory: ["Root Entry", "EncryptionInfo", "EncryptedPackage"])) == [.encrypted])
            // RAR 4: main header with flag 0x0080 (encrypted headers).
            let rar4 = RARHeaders.signature4 + [0x00, 0x00, 0x73, 0x80, 0x00, 0x0D, 0x00] + [UInt8](repeating: 0, count: 6)
            #expect(Self.kinds("a.rar", rar4) == [.archive, .encrypted])
            // RAR 5: CRC32, header size 2, type 4 (archive encryption header), flags 0.
            let rar5 = RARHeaders.signature5 + [0, 0, 0, 0, 0x02, 0x04, 0x00] + [UInt8](repeating: 0, count: 8)
            #expect(Self.kinds("a.rar", rar5) == [.archive, .encrypted])
            let plainRAR5 = RARHeaders.signature5 + [0, 0, 0, 0, 0x02, 0x01, 0x00] + [0, 0, 0, 0, 0x02, 0x05, 0x00]
            #expect(Self.kinds("a.rar", plainRAR5) == [.archive])
        }

        // MARK: benign

        @Test("ordinary PDF, PNG, DOCX and text are not risky")
        func benign() throws {
            #expect(Self.kinds("catalog.pdf", "application/pdf", Self.pdf) == [])
            #expect(Self.kinds("diagram.png", "image/png", Self.png) == [])
            let docx = try Self.zip(Self.ooxmlEntries)
            #expect(Self.kinds("minutes.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", docx) == [])
            #expect(Self.kinds("memo.txt", "text/plain", Array("Meeting at 10, see www.example.jp\n".utf8)) == [])
            #expect(Self.kinds("", "application/octet-stream", []) == [])
        }

        // MARK: reading in chunks

        @Test("a part is read in chunks: a ZIP whose encrypted entry comes after 200 KiB of base64 is still caught, and the digest is the content's")
        func largeBase64Part() throws {
            var generator = SystemRandomNumberGenerator()
            let filler = (0..<200_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let plain = try Self.zip([("filler.bin", filler)])
            #expect(Self.kinds("big.dat", plain) == [.archive])
            let writer = ZipMemoryOutput()
            let zip = try ZipWriter(output: writer, password: Array("pw".utf8), options: ZipWriterOptions(encryption: .zipCrypto, compressionLevel: 0))
            try zip.beginEntry(ZipEntryName(utf8: "filler.bin"), modified: Date(), sizeHint: UInt64(filler.count))
            try zip.write(filler)
            try zip.endEntry()
            try zip.finish()
            let entity = MIMEEntity.attachment(filename: "big.dat", content: writer.bytes)
            let risky = try RiskyAttachment(entity)
            #expect(risky.kinds == [.archive, .encrypted])
            #expect(risky.digest == ContentDigest(size: writer.bytes.count, sha256: Self.sha256(writer.bytes)))
        }

        @Test("the pattern scanner finds a pattern split between chunks exactly once, with its offset and the bytes after it", arguments: [1, 2, 3, 7, 64, 4096])
        func scannerChunks(_ chunkSize: Int) {
            let content = Array("..PK\u{3}\u{4}abcdefgh......PK\u{3}\u{4}xy".utf8)
            var scanner = PatternScanner([PatternScanner.Pattern(ZipEntryHeader.localSignature, wanted: 8)])
            var hits = [(Int, [UInt8])]()
            var start = 0
            while start < content.count {
                let end = min(content.count, start + chunkSize)
                content[start..<end].withUnsafeBytes { chunk in scanner.consume(chunk) { _, bytes, offset in hits.append((offset, Array(bytes))) } }
                start = end
            }
            scanner.finish { _, bytes, offset in hits.append((offset, Array(bytes))) }
            #expect(hits.map(\.0) == [2, 20])
            #expect(hits.first?.1 == Array("PK\u{3}\u{4}abcd".utf8))
            #expect(hits.last?.1 == Array("PK\u{3}\u{4}xy".utf8), "cut short by the end of the content")
        }

        static func sha256(_ bytes: [UInt8]) -> String {
            var hasher = ContentDigest.Hasher()
            bytes.withUnsafeBytes { hasher.update($0) }
            return hasher.finish().sha256
        }
    }
}

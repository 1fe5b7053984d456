import Foundation
import MailMessage

/// The kinds of file that must not cross into an isolated network unseen.
public enum RiskyKind: String, Sendable, CaseIterable, Codable {
    /// Runs code when opened: programs and libraries (PE, ELF, Mach-O), scripts, installers,
    /// shortcuts, help files, disk images, Java and Android packages.
    case executable
    /// An Office document with VBA macros.
    case macro
    /// An archive or compressed file, which can hide anything (ZIP, 7z, RAR, gzip, bzip2, xz,
    /// tar, CAB, LZH, zstd); OOXML and OpenDocument files are documents, not archives.
    case archive
    /// Content no scanner can read: encrypted ZIP entries, 7z with AES, encrypted RAR, encrypted
    /// Office documents and PDFs, S/MIME and PGP messages.
    case encrypted
}

/// Classifies an attachment as risky (pure): by its names, its declared type **and** its bytes,
/// never by the extension alone — a program named `.pdf`, a macro document named `.docx` and an
/// encrypted archive named `.txt` are all caught, and a `.docx` (a ZIP inside) is no archive.
///
/// The content is read once, in chunks (see ``ContentSniffer``); the same pass gives the size
/// and SHA-256 the list of removed files shows.
struct RiskyAttachment: Sendable {
    /// Every kind that applies (an encrypted ZIP is `archive` and `encrypted`).
    var kinds: Set<RiskyKind>
    /// Decoded size and SHA-256.
    var digest: ContentDigest
    /// The format the bytes showed.
    var format: ContentFormat

    /// Reads `entity`'s decoded content (its `filename` and `name` both count).
    init(_ entity: MIMEEntity) throws {
        var sniffer = ContentSniffer()
        var hasher = ContentDigest.Hasher()
        try entity.forEachDecodedChunk { chunk in
            sniffer.consume(chunk)
            hasher.update(chunk)
        }
        let names = [entity.contentDisposition?.filename, entity.contentType.name].compactMap { $0 }
        self.init(names: names, contentType: entity.contentType.mimeType, facts: sniffer.finish(), digest: hasher.finish())
    }

    /// Classifies content held in memory.
    init(names: [String], contentType: String, content: [UInt8]) {
        var sniffer = ContentSniffer()
        var hasher = ContentDigest.Hasher()
        content.withUnsafeBytes { chunk in
            sniffer.consume(chunk)
            hasher.update(chunk)
        }
        self.init(names: names, contentType: contentType, facts: sniffer.finish(), digest: hasher.finish())
    }

    init(names: [String], contentType: String, facts: ContentSniffer.Facts, digest: ContentDigest) {
        self.kinds = Self.kinds(names: names, contentType: contentType.lowercased(), facts: facts)
        self.digest = digest
        self.format = facts.format
    }

    /// The kinds that names, declared type and content facts give together.
    static func kinds(names: [String], contentType: String, facts: ContentSniffer.Facts) -> Set<RiskyKind> {
        var kinds = Set<RiskyKind>()
        let extensions = names.compactMap(visibleExtension)
        let zip = facts.containsZip ? ZipContents(facts.zipEntryNames) : nil
        if extensions.contains(where: { executableExtensions.contains($0) || activeDocumentExtensions.contains($0) }) || executableTypes.contains(contentType)
            || facts.format.isExecutable
        {
            kinds.insert(.executable)
        }
        if extensions.contains(where: macroExtensions.contains) || contentType.contains("macroenabled") {
            kinds.insert(.macro)
        }
        let declaredArchive = extensions.contains(where: archiveExtensions.contains) || archiveTypes.contains(contentType)
        // A ZIP is a document only when it says so by name or type *and* has a document's entries:
        // `invoice.zip` with a `mimetype` entry is still an archive.
        let declaredDocument = extensions.contains(where: zipDocumentExtensions.contains)
            || contentType.contains("openxmlformats") || contentType.contains("opendocument") || contentType.contains("macroenabled")
            || contentType == "application/epub+zip"
        let isDocument = zip.map { $0.isDocument && declaredDocument } ?? false
        if facts.format.isArchive || (declaredArchive && !isDocument) {
            kinds.insert(.archive)
        }
        if encryptedTypes.contains(contentType) || facts.format == .pgpMessage {
            kinds.insert(.encrypted)
        }
        if let zip {
            if !isDocument { kinds.insert(.archive) }
            if zip.hasMacroProject { kinds.insert(.macro) }
            // A program inside is risky whatever the ZIP claims to be.
            if zip.isProgram || zip.hasExecutableEntry { kinds.insert(.executable) }
            if facts.hasEncryptedZipEntry { kinds.insert(.encrypted) }
        }
        switch facts.format {
        case .ole:
            if facts.hasOLEMacros { kinds.insert(.macro) }
            if facts.hasOLEEncryptedPackage { kinds.insert(.encrypted) }
        case .pdf where facts.hasPDFEncryption, .sevenZip where facts.has7zAESCoder, .rar where facts.hasRAREncryption:
            kinds.insert(.encrypted)
        default:
            break
        }
        return kinds
    }

    /// The extension Windows would see: the name made safe first, so `evil.exe.`, `evil.exe `
    /// and `evil\u{202E}fdp.exe` are `.exe`, and the last extension of `invoice.pdf.exe` counts.
    static func visibleExtension(_ name: String) -> String? {
        let ext = (SafeFilename.make(name, fallback: "") as NSString).pathExtension.lowercased()
        return ext.isEmpty ? nil : ext
    }

    /// What the entry names of a ZIP say it is.
    struct ZipContents {
        /// OOXML (`[Content_Types].xml`) or OpenDocument/EPUB (`mimetype`, `META-INF/manifest.xml`).
        var isDocument: Bool
        /// A Java or Android package.
        var isProgram: Bool
        /// Some entry is a `vbaProject.bin` (a macro-enabled OOXML document, whatever its name).
        var hasMacroProject: Bool
        /// Some entry has an executable extension.
        var hasExecutableEntry: Bool

        init(_ names: Set<String>) {
            let lowered = Set(names.map { $0.lowercased() })
            isDocument = lowered.contains("[content_types].xml") || lowered.contains("mimetype") || lowered.contains("meta-inf/manifest.xml")
            isProgram = lowered.contains("meta-inf/manifest.mf") || lowered.contains("androidmanifest.xml") || lowered.contains("classes.dex")
            hasMacroProject = lowered.contains { $0.split(separator: "/").last == "vbaproject.bin" }
            hasExecutableEntry = lowered.contains { name in visibleExtension(name).map(executableExtensions.contains) ?? false }
        }
    }
}

/// What an attachment's bytes are, learnt in one pass over its chunks: the format by magic
/// number, and for the formats that can hide something, what gives it away — ZIP entries (names,
/// encryption), VBA and encryption streams in OLE files, `/Encrypt` in PDF, the AES coder in
/// 7z, RAR encryption flags. Memory is bounded: the first 40 KiB, the last 512 bytes and the
/// pattern scanner's window, whatever the file's size.
struct ContentSniffer {
    /// What was found.
    struct Facts: Sendable, Equatable {
        var format = ContentFormat.other
        /// Names of the ZIP entries found (local and central headers; at most 10,000).
        var zipEntryNames = Set<String>()
        /// Some ZIP entry has general-purpose bit 0 set.
        var hasEncryptedZipEntry = false
        /// An end-of-central-directory record was seen (a ZIP is inside, wherever it starts).
        var hasZipEnd = false
        /// An OLE directory entry named `_VBA_PROJECT…` or `Macros`.
        var hasOLEMacros = false
        /// An OLE directory entry named `EncryptedPackage` (encrypted Office 2007+ document).
        var hasOLEEncryptedPackage = false
        /// `/Encrypt` (a PDF's encryption dictionary).
        var hasPDFEncryption = false
        /// The 7z AES-256 coder ID `06 F1 07 01`.
        var has7zAESCoder = false
        /// RAR headers that say encrypted.
        var hasRAREncryption = false

        /// Whether a ZIP archive is there: by magic, or by a central directory found inside.
        var containsZip: Bool { format == .zip || (hasZipEnd && !zipEntryNames.isEmpty) }
    }

    static let headLimit = 40 * 1024
    static let tailLimit = 512
    static let entryNameLimit = 10_000

    /// The patterns looked for, in this order (indices of ``probes``).
    private enum Probe: Int, CaseIterable {
        case zipLocal, zipCentral, zipEnd, oleVBAProject, oleMacros, oleEncryptedPackage, pdfEncrypt, sevenZipAES
    }

    private static let probes: [PatternScanner.Pattern] = Probe.allCases.map { probe in
        switch probe {
        case .zipLocal: PatternScanner.Pattern(ZipEntryHeader.localSignature, wanted: ZipEntryHeader.localWanted)
        case .zipCentral: PatternScanner.Pattern(ZipEntryHeader.centralSignature, wanted: ZipEntryHeader.centralWanted)
        case .zipEnd: PatternScanner.Pattern(ZipEntryHeader.endSignature, wanted: 22)
        case .oleVBAProject: PatternScanner.Pattern(utf16("_VBA_PROJECT"))
        case .oleMacros: PatternScanner.Pattern(utf16("Macros") + [0, 0])
        case .oleEncryptedPackage: PatternScanner.Pattern(utf16("EncryptedPackage") + [0, 0])
        case .pdfEncrypt: PatternScanner.Pattern(Array("/Encrypt".utf8))
        case .sevenZipAES: PatternScanner.Pattern([0x06, 0xF1, 0x07, 0x01])
        }
    }

    private var head: [UInt8] = []
    private var tail: [UInt8] = []
    private var scanner = PatternScanner(probes)
    private var facts = Facts()

    init() {}

    /// Reads the next chunk of decoded content.
    mutating func consume(_ chunk: UnsafeRawBufferPointer) {
        if head.count < Self.headLimit { head.append(contentsOf: chunk.prefix(Self.headLimit - head.count)) }
        tail.append(contentsOf: chunk.suffix(Self.tailLimit))
        if tail.count > 8 * Self.tailLimit { tail.removeFirst(tail.count - Self.tailLimit) }
        var found = facts
        scanner.consume(chunk) { Self.record($0, $1, $2, into: &found) }
        facts = found
    }

    /// Ends the content and returns what was found.
    mutating func finish() -> Facts {
        var found = facts
        scanner.finish { Self.record($0, $1, $2, into: &found) }
        found.format = ContentFormat.detect(head: head, tail: Array(tail.suffix(Self.tailLimit)))
        found.hasRAREncryption = found.format == .rar && RARHeaders.isEncrypted(head)
        facts = found
        return found
    }

    private static func record(_ pattern: Int, _ bytes: UnsafeRawBufferPointer, _ offset: Int, into facts: inout Facts) {
        switch Probe(rawValue: pattern) {
        case .zipLocal: recordEntry(ZipEntryHeader(local: bytes), into: &facts)
        case .zipCentral: recordEntry(ZipEntryHeader(central: bytes), into: &facts)
        case .zipEnd: facts.hasZipEnd = facts.hasZipEnd || bytes.count >= 22
        // OLE directory entries are 128 bytes long and start with the name (UTF-16LE).
        case .oleVBAProject, .oleMacros: facts.hasOLEMacros = facts.hasOLEMacros || offset % 128 == 0
        case .oleEncryptedPackage: facts.hasOLEEncryptedPackage = facts.hasOLEEncryptedPackage || offset % 128 == 0
        case .pdfEncrypt: facts.hasPDFEncryption = true
        case .sevenZipAES: facts.has7zAESCoder = true
        case nil: break
        }
    }

    private static func recordEntry(_ entry: ZipEntryHeader?, into facts: inout Facts) {
        guard let entry else { return }
        if entry.isEncrypted { facts.hasEncryptedZipEntry = true }
        if facts.zipEntryNames.count < entryNameLimit { facts.zipEntryNames.insert(entry.name) }
    }

    private static func utf16(_ text: String) -> [UInt8] {
        text.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
    }
}

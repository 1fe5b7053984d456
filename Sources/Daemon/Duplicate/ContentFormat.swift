/// What a file is by its magic number — the bytes at its start (and, for some disk images, the
/// footer at its end) — whatever its name and declared type say.
enum ContentFormat: String, Sendable, CaseIterable {
    /// `MZ`: a DOS or Windows program or library (PE).
    case windowsExecutable = "pe"
    /// `\x7FELF`.
    case elf
    /// Mach-O, thin or fat (`CAFEBABE`, which is also a Java class file).
    case machO = "mach-o"
    /// `#!`: a script for an interpreter.
    case script
    /// A Windows shortcut (`.lnk`: header size 0x4C and the shell link CLSID).
    case shortcut
    /// `ITSF`: compiled HTML help (`.chm`).
    case compiledHelp = "chm"
    /// `dex\n`: Android bytecode.
    case dalvik = "dex"
    /// ISO 9660 or UDF, VHD, VHDX, Apple disk image: mounted with a double click.
    case diskImage = "disk-image"
    /// An OLE compound file (Office 97–2003, MSI, encrypted Office 2007+).
    case ole
    /// `%PDF-` within the first 1024 bytes.
    case pdf
    /// A ZIP archive (and so OOXML, ODF, JAR, APK).
    case zip
    case sevenZip = "7z"
    case rar
    case gzip
    case bzip2
    case xz
    /// `ustar` at offset 257.
    case tar
    /// `MSCF`.
    case cab
    /// LHA: `-lh?-` or `-lz?-` at offset 2.
    case lzh
    case zstd
    /// An ASCII-armoured OpenPGP message.
    case pgpMessage = "pgp"
    /// Anything else (text, pictures, …).
    case other

    /// Whether opening it runs code.
    var isExecutable: Bool {
        switch self {
        case .windowsExecutable, .elf, .machO, .script, .shortcut, .compiledHelp, .dalvik, .diskImage: true
        default: false
        }
    }

    /// Whether it is an archive or compressed stream (ZIP is judged by its entries instead).
    var isArchive: Bool {
        switch self {
        case .sevenZip, .rar, .gzip, .bzip2, .xz, .tar, .cab, .lzh, .zstd: true
        default: false
        }
    }

    /// The format of a file that starts with `head` and ends with `tail`.
    static func detect(head: [UInt8], tail: [UInt8]) -> ContentFormat {
        if let format = prefixes.first(where: { head.starts(with: $0.magic) })?.format { return format }
        if head.count >= 4, head[0] == 0x42, head[1] == 0x5A, head[2] == 0x68, (0x31...0x39).contains(head[3]) { return .bzip2 }
        if has(head, "ustar", at: 257) { return .tar }
        if head.count >= 7, head[2] == 0x2D, head[3] == 0x6C, head[4] == 0x68 || head[4] == 0x7A, head[6] == 0x2D { return .lzh }
        if has(head, "CD001", at: 0x8001) || has(head, "CD001", at: 0x8801) || has(head, "CD001", at: 0x9001) || has(head, "BEA01", at: 0x8001) {
            return .diskImage
        }
        if tail.count >= 512, has(tail, "conectix", at: tail.count - 512) || has(tail, "koly", at: tail.count - 512) { return .diskImage }
        if head.prefix(1024).firstRange(of: Array("%PDF-".utf8)) != nil { return .pdf }
        return .other
    }

    /// Magic numbers at offset 0, longest first where one is a prefix of another.
    private static let prefixes: [(magic: [UInt8], format: ContentFormat)] = [
        ([0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1], .ole),
        ([0x4C, 0x00, 0x00, 0x00, 0x01, 0x14, 0x02, 0x00], .shortcut),
        (Array("vhdxfile".utf8), .diskImage),
        (Array("conectix".utf8), .diskImage),
        ([0x7F, 0x45, 0x4C, 0x46], .elf),
        ([0xFE, 0xED, 0xFA, 0xCE], .machO), ([0xFE, 0xED, 0xFA, 0xCF], .machO),
        ([0xCE, 0xFA, 0xED, 0xFE], .machO), ([0xCF, 0xFA, 0xED, 0xFE], .machO), ([0xCA, 0xFE, 0xBA, 0xBE], .machO),
        (Array("ITSF".utf8), .compiledHelp),
        (Array("dex\n".utf8), .dalvik),
        (ZipEntryHeader.localSignature, .zip), (ZipEntryHeader.endSignature, .zip), ([0x50, 0x4B, 0x07, 0x08], .zip),
        ([0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C], .sevenZip),
        (Array(RARHeaders.signature4.prefix(6)), .rar),
        ([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00], .xz),
        ([0x28, 0xB5, 0x2F, 0xFD], .zstd),
        (Array("MSCF".utf8), .cab),
        ([0x1F, 0x8B], .gzip),
        (Array("-----BEGIN PGP MESSAGE-----".utf8), .pgpMessage),
        (Array("MZ".utf8), .windowsExecutable),
        (Array("#!".utf8), .script),
    ]

    private static func has(_ bytes: [UInt8], _ text: String, at offset: Int) -> Bool {
        let magic = Array(text.utf8)
        return offset >= 0 && bytes.count >= offset + magic.count && bytes[offset..<(offset + magic.count)].elementsEqual(magic)
    }
}

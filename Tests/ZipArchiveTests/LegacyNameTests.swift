import Foundation
import Testing
import TestSupport

@testable import ZipArchive

/// CP932 (Shift_JIS for Windows) names without bit 11, for Japanese Windows Explorer.
@Suite("CP932 entry names")
struct LegacyNameTests {
    static let password = "cp932-pw"
    static let name = "見積書.xlsx"
    /// 見 8CA9, 積 90CF, 書 8F91 in CP932.
    static let cp932Bytes: [UInt8] = [0x8C, 0xA9, 0x90, 0xCF, 0x8F, 0x91] + Array(".xlsx".utf8)

    @Test("iconv converts to CP932 exactly; bit 11 stays clear")
    func conversion() throws {
        let name = try ZipEntryName(Self.name, charset: "CP932")
        #expect(name.bytes == Self.cp932Bytes)
        #expect(!name.isUTF8)
    }

    @Test("characters without a CP932 form and unknown charsets are errors", arguments: [
        ("絵文字🎉.txt", "CP932"),
        ("a.txt", "NO-SUCH-CHARSET"),
    ])
    func unrepresentable(name: String, charset: String) {
        #expect {
            _ = try ZipEntryName(name, charset: charset)
        } throws: { error in
            (error as? ZipError)?.code == .invalidArgument
        }
    }

    @Test("readers decode the CP932 name: unzip -O CP932 where supported, Python (cp932), 7z raw bytes", .needsArchiveTools)
    func readersDecode() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let archive = scratch.path("cp932.zip")
        let content = Sample.semiRandom(count: 5000, seed: 3)
        let sample = Sample(name: try ZipEntryName(Self.name, charset: "CP932"), displayName: Self.name, bytes: content)
        try writeArchive([sample], to: archive, password: Self.password, options: ZipWriterOptions(encryption: .zipCrypto))

        // unzip -O CHARSET is the Ubuntu/Fedora/Arch iconv patch; Debian's unzip 6.0 lacks it
        // (prints its usage, status 10). Where present it must give the UTF-8 name.
        let listing = try await ArchiveTools.run("unzip", ["-Z1", "-O", "CP932", archive])
        if listing.status == 0 {
            #expect(listing.output.split(separator: "\n").map(String.init) == [Self.name])
            let extracted = scratch.path("unzip")
            let result = try await ArchiveTools.run("unzip", ["-O", "CP932", "-P", Self.password, "-d", extracted, archive])
            #expect(result.status == 0, "\(result.output) \(result.error)")
            #expect(try hashes(in: extracted) == [Self.name: sample.sha256])
        } else {
            let test = try await ArchiveTools.run("unzip", ["-P", Self.password, "-t", archive])
            #expect(test.status == 0, "\(test.output) \(test.error)")
        }

        let python = try await ArchiveTools.python(pythonReadAll, [archive, Self.password, "cp932"])
        #expect(python.status == 0, "\(python.error)")
        #expect(parseNameHashes(python.output) == [Self.name: sample.sha256])

        // 7-Zip on Linux does not convert legacy names: the file on disk has the CP932 bytes.
        let extracted = scratch.path("7z")
        let result = try await ArchiveTools.run("7z", ["x", "-p\(Self.password)", "-o\(extracted)", archive])
        #expect(result.status == 0, "\(result.output) \(result.error)")
        let onDisk = try await ArchiveTools.python("import os, sys; print(os.listdir(os.fsencode(sys.argv[1]))[0].hex())", [extracted])
        #expect(onDisk.output.trimmingCharacters(in: .whitespacesAndNewlines) == Self.cp932Bytes.map { String(format: "%02x", $0) }.joined())
    }

    @Test("legacy names come from host MS-DOS (attribute archive), UTF-8 names from host UNIX (mode 0644)")
    func hostSystem() throws {
        let output = ZipMemoryOutput()
        let writer = try ZipWriter(output: output, password: [], options: ZipWriterOptions(encryption: .none))
        for name in [try ZipEntryName(Self.name, charset: "CP932"), ZipEntryName(utf8: Self.name)] {
            try writer.beginEntry(name, modified: Date(), sizeHint: 0)
            try writer.endEntry()
        }
        try writer.finish()
        let central = CentralDirectoryProbe.headers(in: output.bytes)
        #expect(central.count == 2)
        #expect(central[0].madeBy >> 8 == 0 && central[0].externalAttributes == 0x20 && central[0].flags & 0x800 == 0)
        #expect(central[1].madeBy >> 8 == 3 && central[1].externalAttributes == 0o100644 << 16 && central[1].flags & 0x800 != 0)
    }
}

/// Reads the fixed fields of every central directory header in archive bytes.
enum CentralDirectoryProbe {
    struct Header {
        var madeBy: UInt16
        var versionNeeded: UInt16
        var flags: UInt16
        var method: UInt16
        var externalAttributes: UInt32
    }

    static func headers(in bytes: [UInt8]) -> [Header] {
        func le16(_ at: Int) -> UInt16 { UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8 }
        func le32(_ at: Int) -> UInt32 { UInt32(le16(at)) | UInt32(le16(at + 2)) << 16 }
        var result = [Header]()
        var index = 0
        while index + 46 <= bytes.count {
            if le32(index) == 0x0201_4B50 {
                result.append(Header(madeBy: le16(index + 4), versionNeeded: le16(index + 6), flags: le16(index + 8),
                                     method: le16(index + 10), externalAttributes: le32(index + 38)))
                index += 46
            } else {
                index += 1
            }
        }
        return result
    }
}

import Foundation
import Testing
import TestSupport

@testable import ZipArchive

/// ZIP64 records, forced on small archives (no multi-gigabyte files in tests).
@Suite("ZIP64")
struct Zip64Tests {
    static let password = "zip64-pw"
    static var expected: [String: String] {
        Dictionary(uniqueKeysWithValues: Sample.standardSet.map { ($0.displayName, $0.sha256) })
    }

    @Test("forceZip64 archives pass 7z t, unzip and Python's zipfile", .needsArchiveTools, arguments: ZipEncryption.allCases)
    func readersAccept(encryption: ZipEncryption) async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let archive = scratch.path("z64.zip")
        try writeArchive(Sample.standardSet, to: archive, password: Self.password,
                         options: ZipWriterOptions(encryption: encryption, forceZip64: true))
        let tail = Array([UInt8](try Data(contentsOf: URL(fileURLWithPath: archive))).suffix(256))
        #expect(contains(tail, [0x50, 0x4B, 0x06, 0x06]), "ZIP64 end of central directory record")
        #expect(contains(tail, [0x50, 0x4B, 0x06, 0x07]), "ZIP64 end of central directory locator")

        let sevenZip = try await ArchiveTools.run("7z", ["t", "-p\(Self.password)", archive])
        #expect(sevenZip.status == 0, "\(sevenZip.output) \(sevenZip.error)")
        #expect(sevenZip.output.contains("Everything is Ok") && !sevenZip.output.contains("Warnings"), "\(sevenZip.output)")

        if encryption == .aes256 {
            // unzip 6.0 cannot decrypt AES; it must still read the ZIP64 directory.
            let list = try await ArchiveTools.run("unzip", ["-Z1", archive])
            #expect(list.status == 0, "\(list.error)")
            #expect(Set(list.output.split(separator: "\n").map(String.init)) == Set(Self.expected.keys))
            let sizes = try await ArchiveTools.python(
                "import sys, zipfile\nfor i in zipfile.ZipFile(sys.argv[1]).infolist(): print(i.filename, i.file_size, sep='\\t')",
                [archive]
            )
            #expect(sizes.status == 0, "\(sizes.error)")
            #expect(Set(sizes.output.split(separator: "\n").map(String.init))
                == Set(Sample.standardSet.map { "\($0.displayName)\t\($0.bytes.count)" }))
        } else {
            let test = try await ArchiveTools.run("unzip", ["-P", Self.password, "-t", archive])
            #expect(test.status == 0, "\(test.output) \(test.error)")
            let python = try await ArchiveTools.python(pythonReadAll, [archive, encryption == .none ? "" : Self.password])
            #expect(python.status == 0, "\(python.error)")
            #expect(parseNameHashes(python.output) == Self.expected)
        }
    }

    @Test("the local header's ZIP64 room follows the size hint")
    func localRoom() {
        #expect(ZipWriter.localZip64Room(force: true, sizeHint: 10) == .zip64)
        #expect(ZipWriter.localZip64Room(force: false, sizeHint: nil) == .reserved)
        #expect(ZipWriter.localZip64Room(force: false, sizeHint: 0) == .none)
        #expect(ZipWriter.localZip64Room(force: false, sizeHint: 4_000_000_000) == .none)
        #expect(ZipWriter.localZip64Room(force: false, sizeHint: 4_293_000_000) == .zip64)
        #expect(ZipWriter.localZip64Room(force: false, sizeHint: .max) == .zip64)
    }

    @Test("an unknown size reserves 20 bytes of growth-hint padding (0xA220), not a ZIP64 field")
    func reservedPadding() throws {
        let output = ZipMemoryOutput()
        let writer = try ZipWriter(output: output, password: [], options: ZipWriterOptions(encryption: .none))
        try writer.beginEntry(ZipEntryName(utf8: "a"), modified: Date(), sizeHint: nil)
        try writer.write(Array("abc".utf8))
        try writer.endEntry()
        try writer.finish()
        let bytes = output.bytes
        // Local header: name "a" at 30, then the first extra field.
        #expect(bytes[28] == 20 + 9 && bytes[29] == 0, "growth hint + extended timestamp")
        #expect(Array(bytes[31..<35]) == [0x20, 0xA2, 16, 0])
        #expect(bytes[6] & 0x08 == 0, "no data descriptor")
        #expect(Array(bytes[18..<26]) != [UInt8](repeating: 0, count: 8), "sizes patched in")
        #expect(!contains(bytes, [0x50, 0x4B, 0x06, 0x06]))
    }

    @Test("the end record holds marker values when forced")
    func endRecordMarkers() {
        let record = EndOfCentralDirectory(entryCount: 3, centralDirectorySize: 200, centralDirectoryOffset: 1000, forceZip64: true)
        let bytes = record.encoded()
        #expect(bytes.count == 56 + 20 + 22)
        #expect(Array(bytes.suffix(22)[(bytes.count - 22 + 8)..<(bytes.count - 22 + 20)]) == [UInt8](repeating: 0xFF, count: 12))
        let plain = EndOfCentralDirectory(entryCount: 3, centralDirectorySize: 200, centralDirectoryOffset: 1000, forceZip64: false)
        #expect(plain.encoded().count == 22)
        let many = EndOfCentralDirectory(entryCount: 70_000, centralDirectorySize: 200, centralDirectoryOffset: 1000, forceZip64: false)
        #expect(many.needsZip64)
    }

    private func contains(_ bytes: [UInt8], _ pattern: [UInt8]) -> Bool {
        guard bytes.count >= pattern.count else { return false }
        return (0...(bytes.count - pattern.count)).contains { bytes[$0..<($0 + pattern.count)].elementsEqual(pattern) }
    }
}

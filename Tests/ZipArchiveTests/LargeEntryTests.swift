import Foundation
import Testing
import TestSupport

@testable import ZipArchive

/// A real 4.4 GiB entry with an unknown size: the growth-hint padding becomes a ZIP64 field.
/// Zeros deflate to about 4 MB, so the archive is small, but writing takes tens of seconds:
/// run with `SEKISHO_ZIP_LARGE=1`.
@Suite("Entries over 4 GiB (SEKISHO_ZIP_LARGE=1)")
struct LargeEntryTests {
    static let enabled = ProcessInfo.processInfo.environment["SEKISHO_ZIP_LARGE"] == "1"
    static let size: UInt64 = 4_500 * 1_048_576

    @Test("an entry of unknown size past 4 GiB, then a small one: 7z, unzip and Python read both",
          .enabled(if: enabled && (ArchiveTools.allPresent || TestEnvironment.isCI)),
          arguments: [ZipEncryption.zipCrypto, .aes256])
    func pastFourGiB(encryption: ZipEncryption) async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let archive = scratch.path("large.zip")
        let output = try ZipFileOutput(path: archive)
        let writer = try ZipWriter(output: output, password: Array("large-pw".utf8),
                                   options: ZipWriterOptions(encryption: encryption, compressionLevel: 1))
        try writer.beginEntry(ZipEntryName(utf8: "zeros.bin"), modified: Date(), sizeHint: nil)
        let zeros = [UInt8](repeating: 0, count: 1_048_576)
        for _ in 0..<(Self.size / 1_048_576) {
            try writer.write(zeros)
        }
        try writer.endEntry()
        try writer.beginEntry(ZipEntryName(utf8: "after.txt"), modified: Date(), sizeHint: nil)
        try writer.write(Array("after the large entry\n".utf8))
        try writer.endEntry()
        try writer.finish()
        try output.close()

        let sevenZip = try await ArchiveTools.run("7z", ["t", "-plarge-pw", archive])
        #expect(sevenZip.status == 0, "\(sevenZip.output) \(sevenZip.error)")
        #expect(sevenZip.output.contains("Everything is Ok") && !sevenZip.output.contains("Warnings"), "\(sevenZip.output)")
        let sizes = try await ArchiveTools.python(
            "import sys, zipfile\nfor i in zipfile.ZipFile(sys.argv[1]).infolist(): print(i.filename, i.file_size, sep='\\t')",
            [archive]
        )
        #expect(sizes.output.split(separator: "\n").map(String.init) == ["zeros.bin\t\(Self.size)", "after.txt\t22"])
        if encryption == .zipCrypto {
            let unzip = try await ArchiveTools.run("unzip", ["-P", "large-pw", "-t", archive])
            #expect(unzip.status == 0, "\(unzip.output) \(unzip.error)")
        }
        // The local header's padding became a ZIP64 field (0x0001) holding the real sizes.
        let head = [UInt8](try FileHandle(forReadingFrom: URL(fileURLWithPath: archive)).read(upToCount: 64) ?? Data())
        #expect(head[30 + 9] == 0x01 && head[30 + 10] == 0x00, "first extra field is ZIP64")
    }
}

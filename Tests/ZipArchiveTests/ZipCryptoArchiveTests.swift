import Foundation
import Testing
import TestSupport

@testable import ZipArchive

/// Traditional PKWARE encryption, streamed with data descriptors, checked with unzip, Python's
/// zipfile and 7-Zip.
@Suite("ZipCrypto archives", .needsArchiveTools)
struct ZipCryptoArchiveTests {
    static let password = "zipcrypto-pw-2026"
    static let options = ZipWriterOptions(encryption: .zipCrypto)
    static var expected: [String: String] {
        Dictionary(uniqueKeysWithValues: Sample.standardSet.map { ($0.displayName, $0.sha256) })
    }

    @Test("unzip -P extracts byte-exact, unzip -t and 7z t pass")
    func unzipExtracts() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let archive = scratch.path("zc.zip")
        try writeArchive(Sample.standardSet, to: archive, password: Self.password, options: Self.options)

        let extracted = scratch.path("out")
        let result = try await ArchiveTools.run("unzip", ["-P", Self.password, "-d", extracted, archive])
        #expect(result.status == 0, "unzip: \(result.output) \(result.error)")
        #expect(try hashes(in: extracted) == Self.expected)

        let test = try await ArchiveTools.run("unzip", ["-P", Self.password, "-t", archive])
        #expect(test.status == 0)
        #expect(test.output.contains("No errors detected in compressed data"), "\(test.output)")

        let sevenZip = try await ArchiveTools.run("7z", ["t", "-p\(Self.password)", archive])
        #expect(sevenZip.status == 0, "\(sevenZip.output) \(sevenZip.error)")
        #expect(sevenZip.output.contains("Everything is Ok"))
        #expect(!sevenZip.output.contains("Warnings"), "\(sevenZip.output)")
    }

    @Test("Python's zipfile decrypts every entry with setpassword; testzip finds nothing")
    func pythonReads() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let archive = scratch.path("zc.zip")
        try writeArchive(Sample.standardSet, to: archive, password: Self.password, options: Self.options)
        let result = try await ArchiveTools.python(pythonReadAll, [archive, Self.password])
        #expect(result.status == 0, "\(result.error)")
        #expect(parseNameHashes(result.output) == Self.expected)
    }

    @Test("a wrong password fails in unzip and in Python")
    func wrongPassword() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let archive = scratch.path("zc.zip")
        try writeArchive(Sample.standardSet, to: archive, password: Self.password, options: Self.options)

        let unzip = try await ArchiveTools.run("unzip", ["-P", "wrong", "-t", archive])
        #expect(unzip.status != 0)
        #expect((unzip.output + unzip.error).contains("incorrect password"), "\(unzip.output) \(unzip.error)")

        let python = try await ArchiveTools.python(pythonReadAll, [archive, "wrong"])
        #expect(python.status != 0)
        #expect(python.error.contains("Bad password") || python.error.contains("Error -3"), "\(python.error)")
    }

    @Test("entries carry bit 3 and a data descriptor; the check byte is the DOS time's high byte")
    func dataDescriptorLayout() throws {
        let output = ZipMemoryOutput()
        let writer = try ZipWriter(output: output, password: Array("pw".utf8), options: Self.options)
        try writer.beginEntry(ZipEntryName(utf8: "a.txt"), modified: Date(timeIntervalSince1970: 1_774_000_000), sizeHint: nil)
        try writer.write(Array("abc".utf8))
        try writer.endEntry()
        try writer.finish()
        let bytes = output.bytes
        // Local header: flags 0x0809 (encrypted, descriptor, UTF-8), CRC and sizes zero.
        #expect(bytes[6] == 0x09 && bytes[7] == 0x08)
        #expect(bytes[14..<26].allSatisfy { $0 == 0 })
        // The descriptor follows the data, with its signature.
        #expect(bytes.indices.contains { index in
            index + 4 <= bytes.count && Array(bytes[index..<(index + 4)]) == [0x50, 0x4B, 0x07, 0x08]
        })
    }
}

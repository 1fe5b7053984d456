import Foundation
import Testing
import TestSupport

@testable import ZipArchive

/// Level 0 (stored, method 0) with each encryption, and archives without encryption.
@Suite("Stored entries and plain archives", .needsArchiveTools)
struct StoredAndPlainTests {
    static let password = "stored-pw"
    static var expected: [String: String] {
        Dictionary(uniqueKeysWithValues: Sample.standardSet.map { ($0.displayName, $0.sha256) })
    }

    @Test("7z reports the method and extracts byte-exact", arguments: [
        (ZipEncryption.none, Int32(0), "Store"),
        (ZipEncryption.none, Int32(6), "Deflate"),
        (ZipEncryption.aes256, Int32(0), "AES-256 Store"),
        (ZipEncryption.zipCrypto, Int32(0), "ZipCrypto Store"),
    ])
    func sevenZip(encryption: ZipEncryption, level: Int32, method: String) async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let archive = scratch.path("a.zip")
        try writeArchive(Sample.standardSet, to: archive, password: Self.password,
                         options: ZipWriterOptions(encryption: encryption, compressionLevel: level))
        let listing = try await ArchiveTools.run("7z", ["l", "-slt", "-p\(Self.password)", archive])
        let methods = Set(listing.output.split(separator: "\n").filter { $0.hasPrefix("Method = ") }.map(String.init))
        #expect(methods == ["Method = \(method)"])
        let extracted = scratch.path("out")
        let result = try await ArchiveTools.run("7z", ["x", "-p\(Self.password)", "-o\(extracted)", archive])
        #expect(result.status == 0, "\(result.output) \(result.error)")
        #expect(try hashes(in: extracted) == Self.expected)
    }

    @Test("unzip -t and Python's zipfile read stored and unencrypted archives", arguments: [
        (ZipEncryption.none, Int32(0)),
        (ZipEncryption.none, Int32(9)),
        (ZipEncryption.zipCrypto, Int32(0)),
    ])
    func unzipAndPython(encryption: ZipEncryption, level: Int32) async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let archive = scratch.path("a.zip")
        try writeArchive(Sample.standardSet, to: archive, password: Self.password,
                         options: ZipWriterOptions(encryption: encryption, compressionLevel: level))
        let test = try await ArchiveTools.run("unzip", ["-P", Self.password, "-t", archive])
        #expect(test.status == 0, "\(test.output) \(test.error)")
        let python = try await ArchiveTools.python(pythonReadAll, [archive, encryption == .none ? "" : Self.password])
        #expect(python.status == 0, "\(python.error)")
        #expect(parseNameHashes(python.output) == Self.expected)
    }

    @Test("an unencrypted archive has no encryption flag and takes no password")
    func noEncryptionFlags() throws {
        let output = ZipMemoryOutput()
        let writer = try ZipWriter(output: output, password: [], options: ZipWriterOptions(encryption: .none))
        try writer.beginEntry(ZipEntryName(utf8: "a.txt"), modified: Date(), sizeHint: nil)
        try writer.write(Array("plain".utf8))
        try writer.endEntry()
        try writer.finish()
        let header = try #require(CentralDirectoryProbe.headers(in: output.bytes).first)
        #expect(header.flags == 0x800)
        #expect(header.method == 8)
        #expect(header.versionNeeded == 20)
    }
}

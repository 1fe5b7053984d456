import Foundation
import Testing
import TestSupport

@testable import ZipArchive

/// WinZip AES-256 (AE-2) archives, checked with 7-Zip (Info-ZIP unzip 6.0 and Python's zipfile
/// cannot decrypt AES; zipfile must still list the entries).
@Suite("AES-256 archives", .needsArchiveTools)
struct AESArchiveTests {
    static let password = "Pässwörd-請求"

    @Test("7z extracts every entry byte-exact under its exact name, and reports AES-256 Deflate")
    func sevenZipExtracts() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let archive = scratch.path("aes.zip")
        try writeArchive(Sample.standardSet, to: archive, password: Self.password, options: ZipWriterOptions())

        let extracted = scratch.path("out")
        let result = try await ArchiveTools.run("7z", ["x", "-p\(Self.password)", "-o\(extracted)", "-y", archive])
        #expect(result.status == 0, "7z x: \(result.output) \(result.error)")
        let expected = Dictionary(uniqueKeysWithValues: Sample.standardSet.map { ($0.displayName, $0.sha256) })
        #expect(try hashes(in: extracted) == expected)

        let listing = try await ArchiveTools.run("7z", ["l", "-slt", archive])
        #expect(listing.status == 0)
        let methods = listing.output.split(separator: "\n").filter { $0.hasPrefix("Method = ") }
        #expect(methods.count == Sample.standardSet.count)
        #expect(methods.allSatisfy { $0 == "Method = AES-256 Deflate" }, "\(methods)")
        #expect(listing.output.contains("Path = 請求書 2026年.pdf"))
        #expect(!listing.output.contains("Warnings"), "\(listing.output)")
    }

    @Test("Python's zipfile lists the AES entries: method 99, sizes, UTF-8 names")
    func pythonLists() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let archive = scratch.path("aes.zip")
        try writeArchive(Sample.standardSet, to: archive, password: Self.password, options: ZipWriterOptions())
        let program = """
        import sys, zipfile
        for i in zipfile.ZipFile(sys.argv[1]).infolist():
            print(i.filename, i.compress_type, i.file_size, i.flag_bits & 0x801, i.extract_version, sep="\\t")
        """
        let result = try await ArchiveTools.python(program, [archive])
        #expect(result.status == 0, "\(result.error)")
        let expected = Sample.standardSet.map { "\($0.displayName)\t99\t\($0.bytes.count)\t2049\t51" }
        #expect(result.output.split(separator: "\n").map(String.init) == expected)
    }

    @Test("a wrong password makes 7z fail with 'Wrong password'")
    func wrongPassword() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let archive = scratch.path("aes.zip")
        try writeArchive(Sample.standardSet, to: archive, password: Self.password, options: ZipWriterOptions())
        let result = try await ArchiveTools.run("7z", ["t", "-pnot-the-password", archive])
        #expect(result.status != 0)
        #expect(result.error.contains("ERROR: Wrong password : small.txt"), "\(result.error)")
    }

    @Test("a flipped ciphertext byte makes 7z report a failed check (the HMAC)")
    func tamperedCiphertext() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let archive = scratch.path("aes.zip")
        try writeArchive(Sample.standardSet, to: archive, password: Self.password, options: ZipWriterOptions())
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: archive)))
        let dataStart = try #require(LocalHeaderProbe.dataOffset(of: Array("data.bin".utf8), in: bytes))
        bytes[dataStart + 18 + 1000] ^= 0x01  // past salt (16) and verifier (2)
        try Data(bytes).write(to: URL(fileURLWithPath: archive))

        let result = try await ArchiveTools.run("7z", ["t", "-p\(Self.password)", archive])
        #expect(result.status != 0)
        // 7-Zip checks the AE-2 authentication code where it would check a CRC.
        #expect(result.error.contains("ERROR: CRC Failed in encrypted file. Wrong password? : data.bin"), "\(result.error)")
        #expect(!result.error.contains(": small.txt"), "only the tampered entry fails")
    }
}

/// Finds an entry's data in archive bytes through its local header.
enum LocalHeaderProbe {
    /// The offset of the first byte after the local header whose name is `name`.
    static func dataOffset(of name: [UInt8], in bytes: [UInt8]) -> Int? {
        var index = 0
        while index + 30 <= bytes.count {
            if bytes[index] == 0x50, bytes[index + 1] == 0x4B, bytes[index + 2] == 3, bytes[index + 3] == 4 {
                let nameLength = Int(bytes[index + 26]) | Int(bytes[index + 27]) << 8
                let extraLength = Int(bytes[index + 28]) | Int(bytes[index + 29]) << 8
                if index + 30 + nameLength <= bytes.count, Array(bytes[(index + 30)..<(index + 30 + nameLength)]) == name {
                    return index + 30 + nameLength + extraLength
                }
            }
            index += 1
        }
        return nil
    }
}

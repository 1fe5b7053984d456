import Foundation
import Testing

@testable import ZipArchive

/// Calls out of order and bad arguments throw ``ZipError``; nothing crashes.
@Suite("Misuse and failures")
struct MisuseTests {
    private func writer(_ encryption: ZipEncryption = .aes256, output: any ZipOutput = ZipMemoryOutput()) throws -> ZipWriter {
        try ZipWriter(output: output, password: Array("pw".utf8), options: ZipWriterOptions(encryption: encryption))
    }

    private func expectCode(_ code: ZipError.Code, _ body: () throws -> Void) {
        #expect {
            try body()
        } throws: { error in
            (error as? ZipError)?.code == code
        }
    }

    @Test("write and endEntry before beginEntry")
    func writeBeforeBegin() throws {
        let writer = try writer()
        expectCode(.invalidState) { try writer.write([1, 2, 3]) }
        expectCode(.invalidState) { try writer.endEntry() }
        // The writer is still usable.
        try writer.beginEntry(ZipEntryName(utf8: "a"), modified: Date(), sizeHint: nil)
        try writer.endEntry()
        try writer.finish()
    }

    @Test("beginEntry or finish while an entry is open")
    func entryOpen() throws {
        let writer = try writer()
        try writer.beginEntry(ZipEntryName(utf8: "a"), modified: Date(), sizeHint: nil)
        expectCode(.invalidState) { try writer.beginEntry(ZipEntryName(utf8: "b"), modified: Date(), sizeHint: nil) }
        expectCode(.invalidState) { try writer.finish() }
    }

    @Test("finish twice, and anything after finish")
    func finishTwice() throws {
        let writer = try writer()
        try writer.finish()
        expectCode(.invalidState) { try writer.finish() }
        expectCode(.invalidState) { try writer.beginEntry(ZipEntryName(utf8: "a"), modified: Date(), sizeHint: nil) }
        expectCode(.invalidState) { try writer.write([1]) }
    }

    @Test("an empty password with encryption", arguments: [ZipEncryption.aes256, .zipCrypto])
    func emptyPassword(encryption: ZipEncryption) throws {
        expectCode(.invalidArgument) {
            _ = try ZipWriter(output: ZipMemoryOutput(), password: [], options: ZipWriterOptions(encryption: encryption))
        }
        _ = try ZipWriter(output: ZipMemoryOutput(), password: [], options: ZipWriterOptions(encryption: .none))
    }

    @Test("a compression level outside 0...9", arguments: [Int32(-1), 10])
    func badLevel(level: Int32) {
        expectCode(.invalidArgument) {
            _ = try ZipWriter(output: ZipMemoryOutput(), password: [1], options: ZipWriterOptions(compressionLevel: level))
        }
    }

    @Test("bad names are rejected without spoiling the writer", arguments: ["empty", "NUL byte", "65,536 bytes"])
    func badNames(kind: String) throws {
        let bytes: [UInt8] = switch kind {
        case "empty": []
        case "NUL byte": [0x61, 0x00, 0x62]
        default: [UInt8](repeating: 0x61, count: 65_536)
        }
        let writer = try writer()
        expectCode(.invalidArgument) { try writer.beginEntry(ZipEntryName(bytes: bytes, isUTF8: true), modified: Date(), sizeHint: nil) }
        try writer.beginEntry(ZipEntryName(utf8: "fine"), modified: Date(), sizeHint: nil)
    }

    @Test("an output failure becomes a ZipError and leaves the writer failed")
    func outputFailure() throws {
        let output = FailingOutput(failAfter: 100)
        let writer = try writer(.zipCrypto, output: output)
        try writer.beginEntry(ZipEntryName(utf8: "a"), modified: Date(), sizeHint: nil)
        expectCode(.outputFailed) {
            try writer.write(Sample.semiRandom(count: 1_000_000, seed: 9))
            try writer.endEntry()
        }
        expectCode(.invalidState) { try writer.endEntry() }
        expectCode(.invalidState) { try writer.finish() }
    }

    @Test("an entry that outgrows a local header without ZIP64 room")
    func limitExceeded() throws {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64, alignment: 16)
        defer { buffer.deallocate() }
        let stream = try EntryStream(output: ZipMemoryOutput(), buffer: buffer, deflater: nil, encryptor: nil, limit: 100)
        try [UInt8](repeating: 1, count: 50).withUnsafeBytes { try stream.write($0) }
        expectCode(.limitExceeded) {
            try [UInt8](repeating: 1, count: 60).withUnsafeBytes { try stream.write($0) }
        }
    }

    @Test("ZipFileOutput: unopenable path, double close, write after close")
    func fileOutput() throws {
        expectCode(.outputFailed) { _ = try ZipFileOutput(path: "/nonexistent-dir/x.zip") }
        let scratch = try Scratch()
        defer { scratch.remove() }
        let output = try ZipFileOutput(path: scratch.path("x.zip"))
        try output.append([1, 2, 3])
        expectCode(.outputFailed) { try output.overwrite(at: 2, with: [1, 2]) }
        try output.close()
        expectCode(.outputFailed) { try output.close() }
        expectCode(.outputFailed) { try output.append([1]) }
        let attributes = try FileManager.default.attributesOfItem(atPath: scratch.path("x.zip"))
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
    }

    @Test("ZipMemoryOutput rejects an overwrite past its end")
    func memoryOutput() throws {
        let output = ZipMemoryOutput()
        try output.append([1, 2, 3])
        try output.overwrite(at: 1, with: [9, 9])
        #expect(output.bytes == [1, 9, 9])
        expectCode(.outputFailed) { try output.overwrite(at: 2, with: [1, 2]) }
    }
}

/// An output that throws a non-ZipError once `failAfter` bytes were appended.
final class FailingOutput: ZipOutput {
    struct DiskFull: Error {}

    private let failAfter: UInt64
    private(set) var offset: UInt64 = 0

    init(failAfter: UInt64) {
        self.failAfter = failAfter
    }

    func append(_ bytes: UnsafeRawBufferPointer) throws {
        guard offset + UInt64(bytes.count) <= failAfter else { throw DiskFull() }
        offset += UInt64(bytes.count)
    }

    func overwrite(at offset: UInt64, with bytes: [UInt8]) throws {}
}

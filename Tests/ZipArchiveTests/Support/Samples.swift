import Crypto
import Foundation
import ZipArchive

/// One file to put in a test archive.
struct Sample {
    var name: ZipEntryName
    /// The name as the test expects a reader to show it.
    var displayName: String
    var bytes: [UInt8]
    /// The size hint passed to `beginEntry`.
    var sizeHint: UInt64?

    init(_ name: String, _ bytes: [UInt8], sizeHint: UInt64? = nil) {
        self.name = ZipEntryName(utf8: name)
        self.displayName = name
        self.bytes = bytes
        self.sizeHint = sizeHint
    }

    init(name: ZipEntryName, displayName: String, bytes: [UInt8]) {
        self.name = name
        self.displayName = displayName
        self.bytes = bytes
    }

    var sha256: String { Self.sha256(bytes) }

    static func sha256(_ bytes: some DataProtocol) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    /// Deterministic semi-random content: lines of words mixed with runs of random bytes.
    static func semiRandom(count: Int, seed: UInt64) -> [UInt8] {
        var state = seed
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        let words = ["請求", "invoice", "total", "見積", "order", "mail", "gateway", "zip", "2026", "\n"].map { Array($0.utf8) }
        var bytes = [UInt8]()
        bytes.reserveCapacity(count + 4096)
        while bytes.count < count {
            if next() % 10 == 0 {
                for _ in 0..<64 { withUnsafeBytes(of: next()) { bytes.append(contentsOf: $0) } }
            } else {
                bytes += words[Int(next() % UInt64(words.count))]
                bytes.append(0x20)
            }
        }
        return Array(bytes.prefix(count))
    }

    /// The set most archive tests use: empty, small text, 3 MB semi-random (with an exact size
    /// hint), and a Japanese UTF-8 name.
    static let standardSet: [Sample] = [
        Sample("empty.txt", []),
        Sample("small.txt", Array("Hello from Sekisho.\n".utf8)),
        Sample("data.bin", semiRandom(count: 3_000_000, seed: 1), sizeHint: 3_000_000),
        Sample("請求書 2026年.pdf", semiRandom(count: 70_000, seed: 2)),
    ]
}

/// A temporary directory, removed by ``remove()``.
struct Scratch {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("zip-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    func remove() {
        try? FileManager.default.removeItem(at: url)
    }
}

/// Writes `samples` into a new archive file with ``ZipWriter`` (in 100,000-byte writes).
func writeArchive(_ samples: [Sample], to path: String, password: String, options: ZipWriterOptions) throws {
    let output = try ZipFileOutput(path: path)
    let writer = try ZipWriter(output: output, password: Array(password.utf8), options: options)
    let modified = Date(timeIntervalSince1970: 1_774_000_000)  // 2026-03-20
    for sample in samples {
        try writer.beginEntry(sample.name, modified: modified, sizeHint: sample.sizeHint)
        var offset = 0
        repeat {
            let end = min(offset + 100_000, sample.bytes.count)
            try writer.write(Array(sample.bytes[offset..<end]))
            offset = end
        } while offset < sample.bytes.count
        try writer.endEntry()
    }
    try writer.finish()
    try output.close()
}

/// The SHA-256 of every regular file in `directory`, by name.
func hashes(in directory: String) throws -> [String: String] {
    var result = [String: String]()
    for name in try FileManager.default.contentsOfDirectory(atPath: directory) {
        result[name] = Sample.sha256(try Data(contentsOf: URL(fileURLWithPath: directory + "/" + name)))
    }
    return result
}

/// Python: prints `name<TAB>sha256` for every entry, after `testzip()` (which must find nothing).
let pythonReadAll = """
import hashlib, sys, zipfile
z = zipfile.ZipFile(sys.argv[1], metadata_encoding=(sys.argv[3] if len(sys.argv) > 3 else None))
if sys.argv[2]:
    z.setpassword(sys.argv[2].encode())
bad = z.testzip()
if bad is not None:
    sys.exit("testzip: bad entry " + bad)
for info in z.infolist():
    print(info.filename + "\\t" + hashlib.sha256(z.read(info)).hexdigest())
"""

/// Parses ``pythonReadAll``'s output.
func parseNameHashes(_ output: String) -> [String: String] {
    var result = [String: String]()
    for line in output.split(separator: "\n") {
        let parts = line.split(separator: "\t", omittingEmptySubsequences: false)
        if parts.count == 2 { result[String(parts[0])] = String(parts[1]) }
    }
    return result
}
